/* vocab.h: the token vocabularies of the BERT-family protein models, and their tokenization.
 *
 * A plm_vocab is a list of token strings (id = index) with the ids of the
 * special tokens found in it by name ("[CLS]" or "<cls>", and so on), and the
 * layout the model puts them in:
 *
 *   PLM_VOCAB_CLS_SEP   [CLS] x [SEP]      TAPE BERT, ProtBert, ProtAlbert  special_tokens "cls,sep"
 *   PLM_VOCAB_SEP_CLS   x <sep> <cls>      ProtXLNet                        special_tokens "sep,cls"
 *
 * Sources: TAPE's iupac vocabulary is built in (TAPE ships none with a
 * model); ProtTrans folders ship vocab.txt, one token per line. ProtAlbert and
 * ProtXLNet also ship a SentencePiece spiece.model whose pieces are single
 * residues; plmscope reads their vocab.txt, not the protobuf.
 *
 * Tokenization: every residue letter is its own token. Rare residues U Z O B
 * map to their own vocabulary entries, as TAPE's tokenizer and the ProtTrans
 * vocab.txt files both have them (ProtTrans users often rewrite U Z O B as X
 * before tokenizing: that is the caller's choice, not the tokenizer's). A letter
 * missing from the vocabulary becomes the unknown token, as HuggingFace
 * tokenizers do. Whitespace is ignored (ProtBert's "M K T" input works).
 * Special tokens may be written inline as the vocabulary spells them
 * ("[MASK]", "<mask>"); "<mask>" always means the mask token. An inline pad
 * token is refused (it would need an attention mask). Anything else is an error
 * naming its position.
 *
 * special_tokens layout strings (lm.h): the names in token-axis order; the
 * leading run of "bos"/"cls" precedes the residues, every later name follows
 * them ("sep,cls": both trail).
 *
 *   plm_vocab_Iupac()        TAPE's 30-token iupac vocabulary
 *   plm_vocab_Read()         a vocab.txt file
 *   plm_vocab_ReadBeside()   the vocab.txt in a model folder, or beside a model file;
 *                            PLM_ENOTFOUND (message set) when there is none
 *   plm_vocab_Destroy()
 *   plm_vocab_Tokenize()     text -> ids with the layout's special tokens
 *   plm_vocab_SpecialSpan()  "cls,sep" -> 1 leading, 1 trailing special token
 */
#ifndef PLM_VOCAB_H
#define PLM_VOCAB_H
#include <stdint.h>

enum plm_vocab_layout { PLM_VOCAB_CLS_SEP, PLM_VOCAB_SEP_CLS };

typedef struct plm_vocab {
  char **tok;
  int    n;
  int    cls, sep, pad, mask, unk;   /* -1 when the vocabulary lacks one */
  int    layout;
} plm_vocab;

int  plm_vocab_Iupac(plm_vocab **ret_v, char *errbuf);
int  plm_vocab_Read(const char *path, int layout, plm_vocab **ret_v, char *errbuf);
int  plm_vocab_ReadBeside(const char *model_path, int layout, plm_vocab **ret_v, char *errbuf);
void plm_vocab_Destroy(plm_vocab *v);
int  plm_vocab_Tokenize(const plm_vocab *v, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf);
int  plm_vocab_SpecialSpan(const char *layout, int *ret_lead, int *ret_trail, char *errbuf);

#endif
