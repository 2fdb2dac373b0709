/* gibbs.h: the sampler of Rao et al.'s Algorithm 1 (pseudo-MSAs from a masked language model),
 * apart from the model: which positions to mask, how a masked position is redrawn from its
 * logits, and when a chain goes back to the query.
 *
 * A chain is L residue tokens (model token ids, specials excluded). One step masks k of
 * its F free positions (those not fixed), k = round(fraction * F) but at least 1 when F > 0,
 * chosen uniformly without replacement; the model sees the masked chain once, and every
 * masked position gets a token drawn from its own logits row independently. Draws range
 * over the allowed tokens only (the tool allows the 20 standard amino acids): the rest of
 * the row is ignored, not renormalized into them. The draw is the argmax (temperature 0,
 * first of equal maxima in allowed order), or a sample from softmax(logits / temperature)
 * over the top_k largest allowed logits (0: all of them). After a step the caller writes
 * the row, then plm_gibbs_Restart() says whether to go back to the query.
 *
 * Randomness comes only from the caller's rng state, so a seed fixes everything.
 *
 *   plm_gibbs_Create() / plm_gibbs_Destroy()
 *   plm_gibbs_ParsePositions()  "1,5-9" (1-based) -> L flags
 *   plm_gibbs_Mask()            the positions to mask in one step
 *   plm_gibbs_Draw()            one token from one logits row
 *   plm_gibbs_Step()            mask, run the model (a callback), redraw
 *   plm_gibbs_StepBatch()       the same for B chains, each with its own rng, through one call
 *                               of the model: chain b's draws equal plm_gibbs_Step's with rngs[b]
 *   plm_gibbs_Restart()         true with probability restart
 */
#ifndef PLM_GIBBS_H
#define PLM_GIBBS_H
#include <stdint.h>

typedef struct plm_gibbs_opts {
  double fraction;      /* of the free positions masked per step, in (0, 1] */
  double temperature;   /* 0: argmax */
  int    top_k;         /* 0: every allowed token */
  double restart;       /* probability of going back to the query after a step, [0, 1] */
} plm_gibbs_opts;

typedef struct plm_gibbs {
  plm_gibbs_opts o;
  int            L;
  int           *free_pos;  int nfree;   /* positions that may be masked */
  int            nmask;                  /* masked per step */
  int32_t       *allowed;   int nallowed;
  int           *pos;                    /* this step's masked positions, the first nmask */
  int32_t       *masked;                 /* L: the chain as the model sees it */
  double        *p;                      /* nallowed: draw workspace */
  int           *bpos;                   /* B x nmask: a batch's masked positions */
  int32_t       *bmasked;                /* B x L: the batch as the model sees it */
  int            bcap;                   /* chains those two hold */
} plm_gibbs;

/* the model: logits of the L residue positions of chain (masked ones = mask token), row-major
 * L x V, valid until the next call */
typedef int (*plm_gibbs_logits_fn)(void *ctx, const int32_t *chain, int L,
                                   const float **ret_logits, int *ret_V, char *errbuf);

/* the model over B chains at once: chains B x L, logits (B x L) x V */
typedef int (*plm_gibbs_batch_fn)(void *ctx, const int32_t *chains, int B, int L,
                                  const float **ret_logits, int *ret_V, char *errbuf);

int     plm_gibbs_Create(int L, const uint8_t *fixed, const int32_t *allowed, int nallowed,
                         const plm_gibbs_opts *o, plm_gibbs **ret_g, char *errbuf);
void    plm_gibbs_Destroy(plm_gibbs *g);
int     plm_gibbs_ParsePositions(const char *s, int L, uint8_t *fixed, char *errbuf);
int     plm_gibbs_Mask(plm_gibbs *g, uint64_t *rng);
int32_t plm_gibbs_Draw(plm_gibbs *g, const float *row, uint64_t *rng);
int     plm_gibbs_Step(plm_gibbs *g, int32_t *chain, int32_t mask_id, plm_gibbs_logits_fn fn, void *ctx,
                       uint64_t *rng, char *errbuf);
int     plm_gibbs_StepBatch(plm_gibbs *g, int32_t *chains, int B, int32_t mask_id, plm_gibbs_batch_fn fn,
                            void *ctx, uint64_t *rngs, char *errbuf);
int     plm_gibbs_Restart(const plm_gibbs *g, uint64_t *rng);

#endif
