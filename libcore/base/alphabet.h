/* alphabet.h: the ESM alphabet (33 tokens) and fair-esm's tokenization.
 *
 *   <cls>=0 <pad>=1 <eos>=2 <unk>=3, "LAGVSERTIDPKQNFYMHWCXBUZO.-" = 4..30,
 *   <null_1>=31, <mask>=32.
 * ESM-1 (protein_bert_base) orders the same tokens as <null_0>=0 <pad>=1 <eos>=2 <unk>=3, the
 * residues 4..30, <null_1>=31, <cls>=32 <mask>=33 <sep>=34 (35 tokens): the ESM ids of every
 * token but <cls> and <mask> are its ESM-1 ids.
 * Special tokens may be written inline ("MK<mask>A"); whitespace is ignored;
 * any other character is an error naming its position, as fair-esm's encode()
 * raises on it.
 *
 *   plm_esm_Tokenize()    text -> ids, with BOS/EOS when asked
 *   plm_esm_Token()       id -> token text ("<mask>", "A", ...)
 *   plm_esm_ResidueId()   one residue character -> id, or -1
 *   plm_esm_ResidueCount() number of residues (tokens) in a text, or -1 on error
 */
#ifndef PLM_ALPHABET_H
#define PLM_ALPHABET_H
#include <stdint.h>

#define PLM_ESM_NTOK  33
#define PLM_ESM_CLS   0
#define PLM_ESM_PAD   1
#define PLM_ESM_EOS   2
#define PLM_ESM_UNK   3
#define PLM_ESM_MASK  32
#define PLM_ESM1_NTOK 35
#define PLM_ESM1_CLS  32
#define PLM_ESM1_MASK 33

int         plm_esm_Tokenize(const char *text, int add_bos, int add_eos,
                             int32_t **ret_ids, int *ret_n, char *errbuf);
const char *plm_esm_Token(int id);
int         plm_esm_ResidueId(char c);
int         plm_esm_ResidueCount(const char *text);

#endif
