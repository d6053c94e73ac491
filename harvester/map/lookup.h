/*
 * Graph look-ups that the mapping and the check both need. Internal to
 * harvester/map and harvester/check.
 */
#ifndef HV_MAP_LOOKUP_H
#define HV_MAP_LOOKUP_H

#include "model/graph.h"

/*
 * Finds the first node (in quad order) typed rdf:type class_iri in g.
 * Returns 1 and copies its term into *out (borrowing g's strings), or 0
 * when there is none (*out untouched).
 */
int hv__graph_first_of_class(const hv_graph *g, const char *class_iri,
                             hv_term *out);

#endif
