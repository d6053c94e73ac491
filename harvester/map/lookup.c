/*
 * Graph look-ups shared by the mapping and the check (see lookup.h).
 * Both must pick the same dataset node when none is named, or the check
 * would judge a different dataset than the one that was mapped.
 */
#include "map/lookup.h"

#include <string.h>

#include "decode/page.h"

int hv__graph_first_of_class(const hv_graph *g, const char *class_iri,
                             hv_term *out)
{
  size_t i;

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];

    if (q->o.kind == HV_TERM_IRI && strcmp(q->p.value, HV_RDF "type") == 0 &&
        strcmp(q->o.value, class_iri) == 0) {
      *out = q->s;
      return 1;
    }
  }
  return 0;
}
