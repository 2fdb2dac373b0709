/* stream.h: the record stream: a binary, framed, checksummed format for pipes.
 *
 * Specified in man/man5/plmscope-stream.5. A stream is a header (magic,
 * version), one frame per record, and an end frame; a stream that stops
 * without its end frame is truncated and reported as such. Readers never
 * allocate more than the bytes that actually arrived, so a lying length
 * cannot exhaust memory.
 *
 *   plm_stream_OpenRead()   path, or "-" for stdin
 *   plm_stream_Read()       next record: PLM_OK, PLM_EOF at the end frame, or an
 *                           error "NAME: record N ("ID"): cause" in errbuf
 *   plm_stream_SetMaxMemory() refuse, before reading it, a record whose frame and decoded tensors
 *                           would take the process past this many bytes (--max-memory), checked
 *                           for every frame; 0 (and without a call): membudget.h's default,
 *                           checked for frames over 64 MiB and every 64th record
 *   plm_stream_CloseRead()
 *   plm_stream_Tell()       bytes read from the file so far (-1 where unknown), for progress
 *   plm_stream_OpenWrite()  path or "-"; zlevel 0 (stored) .. 9
 *   plm_stream_Write()      one record, flushed so downstream sees it at once
 *   plm_stream_CloseWrite() writes the end frame; call it only on success, so a
 *                           failed producer leaves a stream readers call truncated
 *   plm_stream_Salvage()    copy the intact records of a stream that may have been cut (the
 *                           checksummed frames make the valid prefix known) to a writer
 *                           (plmstream repair, attn --resume)
 *   plm_stream_Sniff()      do these leading bytes start a stream?
 */
#ifndef PLM_STREAM_H
#define PLM_STREAM_H
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include "record.h"

#define PLM_STREAM_MAGIC      "\x89PLMSTR\n"   /* 8 bytes */
#define PLM_STREAM_VERSION    1
#define PLM_STREAM_MAXFRAME   (UINT64_C(64) << 30)  /* 64 GiB: sanity bound on one record */

typedef struct plm_streamreader plm_streamreader;
typedef struct plm_streamwriter plm_streamwriter;

int   plm_stream_OpenRead(const char *path, plm_streamreader **ret_r, char *errbuf);
int   plm_stream_OpenReadFILE(FILE *fp, const char *name, plm_streamreader **ret_r, char *errbuf);
int   plm_stream_Read(plm_streamreader *r, plm_record **ret_rec, char *errbuf);
void  plm_stream_SetMaxMemory(plm_streamreader *r, size_t bytes);
void  plm_stream_CloseRead(plm_streamreader *r);
long long plm_stream_Tell(const plm_streamreader *r);

int   plm_stream_OpenWrite(const char *path, int zlevel, plm_streamwriter **ret_w, char *errbuf);
int   plm_stream_OpenWriteFILE(FILE *fp, const char *name, int zlevel, plm_streamwriter **ret_w, char *errbuf);
int   plm_stream_Write(plm_streamwriter *w, const plm_record *rec, char *errbuf);
int   plm_stream_CloseWrite(plm_streamwriter *w, char *errbuf);
void  plm_stream_AbortWrite(plm_streamwriter *w);  /* free without the end frame */

int   plm_stream_Salvage(const char *path, plm_streamwriter *w,
                         int (*each)(const plm_record *rec, void *arg, char *errbuf), void *arg,
                         long long *ret_kept, int *ret_whole, char *cause, char *errbuf);
int   plm_stream_Sniff(const unsigned char *buf, size_t n);

#endif
