/* gn-blocklist-inserter.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The second thread of a pipelined parse (see gn-blocklist-inserter.h).
 * Names travel in N_BATCHES fixed batches of BATCH_BYTES, recycled through
 * two queues: the parser waits when the inserter is behind, so memory stays
 * bounded (1 MB) however big the list. A batch is a run of records: the
 * match kind (1 byte), the name's length (1 byte, at most GN_DOMAIN_MAX),
 * the normalised name, the layout gn_blocklist_builder_add_records() takes
 * (and a compiled part holds). An empty batch ends the run.
 *
 * Threading: start, push and finish on the parser's thread; the builder is
 * touched only by the inserter thread between start and finish.
 */

#include <string.h>

#include "gn-blocklist-inserter.h"

#define BATCH_BYTES        (256 * 1024)
#define N_BATCHES          4

typedef struct
{
  gsize  len;
  guint8 data[BATCH_BYTES];
} Batch;

struct _GnBlocklistInserter
{
  GnBlocklistBuilder *builder;
  guint               list_index;
  GAsyncQueue        *full;     /* (owned) Batch: to insert; len 0 ends */
  GAsyncQueue        *empty;    /* (owned) Batch: to fill */
  Batch              *current;  /* parser thread: being filled */
  GThread            *thread;   /* (owned) */
  /* inserter thread until joined */
  guint64             accepted;
  guint64             duplicates;
  guint64             allow_rules;
};

static gpointer
inserter_thread (gpointer data)
{
  GnBlocklistInserter *in = data;
  GnBlocklistReport counts = { 0 };

  for (;;)
    {
      Batch *batch = g_async_queue_pop (in->full);
      gsize len = batch->len;

      /* a batch is records as gn_blocklist_builder_add_records() takes
       * them: inserted in order, the next ones' slots prefetched */
      gn_blocklist_builder_add_records (in->builder, in->list_index, batch->data, len, &counts);
      batch->len = 0;
      g_async_queue_push (in->empty, batch);
      if (len == 0)
        break;
    }
  in->accepted = counts.accepted;
  in->duplicates = counts.duplicates;
  in->allow_rules = counts.allow_rules;
  return NULL;
}

GnBlocklistInserter *
gn_blocklist_inserter_start (GnBlocklistBuilder *builder,
                             guint               list_index)
{
  GnBlocklistInserter *in = g_new0 (GnBlocklistInserter, 1);

  in->builder = builder;
  in->list_index = list_index;
  in->full = g_async_queue_new ();
  in->empty = g_async_queue_new ();
  for (guint i = 1; i < N_BATCHES; i++)
    g_async_queue_push (in->empty, g_new0 (Batch, 1));
  in->current = g_new0 (Batch, 1);
  in->thread = g_thread_new ("gn-blocklist-insert", inserter_thread, in);
  return in;
}

void
gn_blocklist_inserter_push (GnBlocklistInserter *in,
                            GnMatchKind          kind,
                            const char          *name,
                            gsize                len)
{
  Batch *batch = in->current;

  if (batch->len + 2 + len > BATCH_BYTES)
    {
      g_async_queue_push (in->full, batch);
      batch = in->current = g_async_queue_pop (in->empty);
    }
  batch->data[batch->len] = kind;
  batch->data[batch->len + 1] = (guint8) len;
  memcpy (batch->data + batch->len + 2, name, len);
  batch->len += 2 + len;
}

void
gn_blocklist_inserter_finish (GnBlocklistInserter *in,
                              GnBlocklistReport   *report)
{
  Batch *batch;

  if (in->current->len > 0)
    {
      g_async_queue_push (in->full, in->current);
      in->current = g_async_queue_pop (in->empty);
    }
  /* The empty batch that ends it. */
  g_async_queue_push (in->full, g_steal_pointer (&in->current));
  g_thread_join (in->thread);

  if (report != NULL)
    {
      report->accepted += in->accepted;
      report->duplicates += in->duplicates;
      report->allow_rules += in->allow_rules;
    }
  while ((batch = g_async_queue_try_pop (in->empty)) != NULL)
    g_free (batch);
  g_async_queue_unref (in->full);
  g_async_queue_unref (in->empty);
  g_free (in);
}
