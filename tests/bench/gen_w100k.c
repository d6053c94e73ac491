/*
 * Generates the W100k benchmark workload: sixteen state handover points
 * serving Hydra-paged Turtle, laid out for the project's static server.
 *
 * By default 100,000 datasets are spread unevenly over the sixteen states
 * (the big states publish more, as they do in real life), and 5 % of each
 * state's datasets are also listed, unchanged (same IRI, same identifier,
 * same description), in one other state's catalog, so the catalogs hold
 * 105,000 dataset entries on 1,050 pages of 100. Every dataset has exactly
 * DATASET_TRIPLES triples counting the catalog's dcat:dataset link, in the
 * shape of a DCAT-AP.de record: three blank nodes (publisher, contact point,
 * period of time), two distributions with IRIs, dates, keywords, theme,
 * licence and contributor.
 *
 * The output is a pure function of the seed and the options: every
 * dataset is rendered from its own random stream derived from (seed,
 * owning state, index), so a duplicate renders byte for byte like its
 * original, and two runs with the same arguments write identical files.
 *
 * Layout under --out DIR, with BASE the server's URL (--base):
 *   DIR/stNN/catalog.ttl          page 1, served as BASE/stNN/catalog.ttl
 *   DIR/stNN/catalog.ttl@page=K   page K, served as BASE/stNN/catalog.ttl?page=K
 *   DIR/sources.tsv               name, state, first page URL, entries, pages
 * Page links are absolute IRIs under BASE. A summary line with the totals
 * (datasets, entries, pages, triples, bytes) goes to stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define N_STATES 16
/* Weights of the states in fiftieths of the datasets (they sum to 50). */
#define WEIGHT_TOTAL 50
/* Per cent of each state's datasets also listed by a second state. */
#define DUPLICATE_PERCENT 5
/* Triples per dataset, counting the catalog's dcat:dataset link. */
#define DATASET_TRIPLES 43
/* Upper bound for one rendered page; 100 datasets take about 250 KB. */
#define MAX_PAGE_BYTES ((size_t)64 << 20)
/* 2018-01-01T00:00:00Z: the earliest date the generator writes. */
#define EPOCH_2018 ((time_t)1514764800)
#define DAY_S 86400

typedef struct state_info {
  const char *key;         /* state key, as in the political geocoding */
  const char *abbr;        /* short code used in identifiers */
  const char *name;        /* state name in German */
  const char *host;        /* invented portal host (reserved .example TLD) */
  const char *contributor; /* local name under the contributors vocabulary */
  int weight;              /* share of the datasets in fiftieths */
} state_info;

static const state_info states[N_STATES] = {
    {"01", "sh", "Schleswig-Holstein", "opendata.schleswig-holstein.example",
     "benchSchleswigHolstein", 3},
    {"02", "hh", "Hamburg", "transparenz.hamburg.example", "benchHamburg", 5},
    {"03", "ni", "Niedersachsen", "opendata.niedersachsen.example",
     "benchNiedersachsen", 4},
    {"04", "hb", "Bremen", "daten.bremen.example", "benchBremen", 1},
    {"05", "nw", "Nordrhein-Westfalen", "open.nrw.example", "benchNRW", 8},
    {"06", "he", "Hessen", "opendata.hessen.example", "benchHessen", 4},
    {"07", "rp", "Rheinland-Pfalz", "daten.rlp.example", "benchRLP", 3},
    {"08", "bw", "Baden-Württemberg", "daten.bw.example", "benchBW", 5},
    {"09", "by", "Bayern", "opendata.bayern.example", "benchBayern", 5},
    {"10", "sl", "Saarland", "daten.saarland.example", "benchSaarland", 1},
    {"11", "be", "Berlin", "daten.berlin.example", "benchBerlin", 4},
    {"12", "bb", "Brandenburg", "daten.brandenburg.example",
     "benchBrandenburg", 2},
    {"13", "mv", "Mecklenburg-Vorpommern", "daten.mv.example", "benchMV", 1},
    {"14", "sn", "Sachsen", "daten.sachsen.example", "benchSachsen", 2},
    {"15", "st", "Sachsen-Anhalt", "daten.sachsen-anhalt.example",
     "benchSachsenAnhalt", 1},
    {"16", "th", "Thüringen", "daten.thueringen.example", "benchThueringen", 1},
};

static const char *const topics[] = {
    "Luftqualität", "Verkehrszählung", "Schulstandorte", "Haushaltsplan",
    "Bebauungspläne", "Wasserstände", "Bevölkerungsstand", "Baumkataster",
    "Ladesäulen", "Radverkehrsnetz", "Badegewässerqualität", "Wahlergebnisse",
    "Kitaplätze", "Lärmkartierung", "Hochwassergefahrenkarte",
    "Solarpotenzial", "Gewerbeanmeldungen", "Unfallstatistik",
    "Naturschutzgebiete", "Denkmalliste", "Parkplätze", "Haltestellen",
    "Grundwassermessstellen", "Abfallmengen", "Krankenhausstandorte",
    "Sportstätten", "Breitbandausbau", "Bodenrichtwerte", "Wetterdaten",
    "Straßenbaustellen", "Tourismusstatistik", "Feinstaubbelastung",
};

static const char *const qualifiers[] = {
    "Jahreswerte", "Monatswerte", "Tageswerte", "Standorte", "Übersicht",
    "Zeitreihe", "Stichtagsdaten", "Kennzahlen", "Verzeichnis", "Messwerte",
};

static const char *const regions[] = {
    "landesweit", "Kreis Nord", "Kreis Süd", "Region Mitte", "Stadtgebiet",
    "Amt West", "Landkreis Ost", "Planungsregion", "Gemeinde am Fluss",
    "Küstenregion", "Oberland", "Metropolregion",
};

static const char *const keywords[] = {
    "Umwelt", "Verkehr", "Bildung", "Finanzen", "Bauen", "Wasser",
    "Bevölkerung", "Natur", "Energie", "Mobilität", "Gesundheit", "Wahlen",
    "Familie", "Lärm", "Klima", "Wirtschaft", "Sicherheit", "Kultur",
    "Abfall", "Sport", "Digitales", "Geodaten", "Tourismus", "Statistik",
    "Landwirtschaft", "Soziales", "Verwaltung", "Planung",
};

static const char *const themes[] = {
    "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL",
    "INTR", "JUST", "REGI", "SOCI", "TECH", "TRAN",
};

static const char *const authorities[] = {
    "Statistisches Landesamt", "Landesamt für Umwelt",
    "Ministerium für Verkehr", "Landesamt für Vermessung und Geoinformation",
    "Ministerium der Finanzen", "Landesamt für Denkmalpflege",
    "Ministerium für Bildung", "Landesbetrieb Straßenbau",
};

static const char *const frequencies[] = {
    "täglich", "wöchentlich", "monatlich", "vierteljährlich", "jährlich",
};

static const char *const licenses[] = {
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
    "http://dcat-ap.de/def/licenses/cc-by/4.0",
    "http://dcat-ap.de/def/licenses/cc-zero",
};

/* Downloadable file types: EU file-type code, extension, IANA type. */
static const struct {
  const char *code;
  const char *ext;
  const char *media;
} files[] = {
    {"CSV", "csv", "text/csv"},
    {"JSON", "json", "application/json"},
    {"XLSX", "xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"GEOJSON", "geojson", "application/geo+json"},
    {"XML", "xml", "application/xml"},
    {"PDF", "pdf", "application/pdf"},
};

/* Service distributions: EU file-type code, OGC service, IANA type. */
static const struct {
  const char *code;
  const char *service;
  const char *media;
} services[] = {
    {"WMS_SRVC", "WMS", "application/xml"},
    {"WFS_SRVC", "WFS", "application/gml+xml"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct options {
  const char *out_dir;
  char base[512];   /* server URL without a trailing slash */
  uint64_t seed;
  long datasets;    /* datasets in all, before duplication */
  long per_page;    /* dataset entries per page */
} options;

/* One dataset entry in a catalog: which dataset, rendered from where. */
typedef struct entry {
  int owner;      /* index into states of the state that owns it */
  uint32_t index; /* the dataset's number within its owner */
} entry;

typedef struct catalog {
  entry *entries;
  size_t n;
  size_t cap;
} catalog;

typedef struct totals {
  uint64_t pages;
  uint64_t entries;
  uint64_t triples;
  uint64_t bytes;
} totals;

/* splitmix64: small, fast and good enough to vary the generated text. */
static uint64_t next_random(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static size_t pick(uint64_t *rng, size_t n)
{
  return (size_t)(next_random(rng) % n);
}

/* The random stream of one dataset, independent of where it is listed. */
static uint64_t dataset_stream(uint64_t seed, int owner, uint32_t index)
{
  uint64_t s = seed ^ ((uint64_t)(owner + 1) << 40) ^ index;

  (void)next_random(&s);
  return s;
}

static void format_date(time_t t, char out[16])
{
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(out, 16, "%Y-%m-%d", &tm);
}

/* An xsd:dateTime with the German offset of the season (CET or CEST). */
static void format_datetime(time_t t, char out[32])
{
  struct tm tm;
  int summer;

  gmtime_r(&t, &tm);
  summer = tm.tm_mon >= 3 && tm.tm_mon <= 9;
  t += summer ? 7200 : 3600;
  gmtime_r(&t, &tm);
  strftime(out, 32, summer ? "%Y-%m-%dT%H:%M:%S+02:00"
                           : "%Y-%m-%dT%H:%M:%S+01:00", &tm);
}

static int catalog_add(catalog *c, int owner, uint32_t index, hv_error *err)
{
  entry *grown;
  size_t cap;

  if (c->n == c->cap) {
    cap = c->cap ? c->cap * 2 : 1024;
    if (!(grown = hv_realloc(c->entries, cap * sizeof(*grown))))
      return hv_error_oom(err);
    c->entries = grown;
    c->cap = cap;
  }
  c->entries[c->n].owner = owner;
  c->entries[c->n].index = index;
  c->n++;
  return 0;
}

/* Datasets owned by state s: its weight's share, the rest to the largest. */
static long owned_count(const options *o, int s)
{
  long n = o->datasets * states[s].weight / WEIGHT_TOTAL;
  long sum = 0;
  int i;

  if (s == 4) {
    /* Nordrhein-Westfalen, the largest, absorbs the rounding. */
    for (i = 0; i < N_STATES; i++)
      sum += o->datasets * states[i].weight / WEIGHT_TOTAL;
    n += o->datasets - sum;
  }
  return n;
}

/*
 * Fills the sixteen catalogs. Each state lists its own datasets; 5 % of
 * them, chosen at random, are also listed by the state `shift` places on,
 * where shift (1..15) comes from the seed so that the pairs vary. The
 * entries of each catalog are then shuffled so that the duplicates are
 * spread over its pages instead of trailing at the end.
 */
static int build_catalogs(const options *o, catalog cats[N_STATES],
                          hv_error *err)
{
  uint64_t rng = o->seed ^ 0x5eed5eedULL;
  int shift = 1 + (int)(o->seed % (N_STATES - 1));
  uint32_t *order = NULL;
  long n, dups, j;
  size_t k, m;
  entry tmp;
  int s, rc = 0;

  for (s = 0; s < N_STATES; s++) {
    n = owned_count(o, s);
    for (j = 0; j < n; j++)
      if ((rc = catalog_add(&cats[s], s, (uint32_t)j, err)) < 0)
        goto cleanup;
  }
  for (s = 0; s < N_STATES; s++) {
    n = owned_count(o, s);
    dups = n * DUPLICATE_PERCENT / 100;
    hv_free(order);
    if (!(order = hv_malloc((size_t)n * sizeof(*order) + 1))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    for (j = 0; j < n; j++)
      order[j] = (uint32_t)j;
    /* A partial Fisher-Yates shuffle picks dups distinct datasets. */
    for (j = 0; j < dups; j++) {
      k = (size_t)j + pick(&rng, (size_t)(n - j));
      tmp.index = order[j];
      order[j] = order[k];
      order[k] = tmp.index;
      if ((rc = catalog_add(&cats[(s + shift) % N_STATES], s, order[j],
                            err)) < 0)
        goto cleanup;
    }
  }
  for (s = 0; s < N_STATES; s++) {
    for (m = cats[s].n; m > 1; m--) {
      k = pick(&rng, m);
      tmp = cats[s].entries[m - 1];
      cats[s].entries[m - 1] = cats[s].entries[k];
      cats[s].entries[k] = tmp;
    }
  }

cleanup:
  hv_free(order);
  return rc;
}

static int add_page_url(hv_buf *b, const options *o, int s, size_t page)
{
  if (page == 1)
    return hv_buf_addf(b, "<%s/st%s/catalog.ttl>", o->base, states[s].key);
  return hv_buf_addf(b, "<%s/st%s/catalog.ttl?page=%zu>", o->base,
                     states[s].key, page);
}

static const char page_prefixes[] =
    "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
    "@prefix dct: <http://purl.org/dc/terms/> .\n"
    "@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .\n"
    "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
    "@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n"
    "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
    "@prefix ft: "
    "<http://publications.europa.eu/resource/authority/file-type/> .\n"
    "@prefix theme: "
    "<http://publications.europa.eu/resource/authority/data-theme/> .\n"
    "\n";

/*
 * Writes the page header: the catalog with its dcat:dataset links and the
 * Hydra view of this page. Returns the number of triples written, or a
 * negative code.
 */
static long render_header(hv_buf *b, const options *o, int s,
                          const catalog *cat, size_t page, size_t pages,
                          size_t first, size_t count)
{
  const state_info *st = &states[s];
  const entry *e;
  long triples = 0;
  size_t i;
  int rc = 0;

  rc |= hv_buf_addf(b, "# W100k benchmark workload: %s, page %zu of %zu.\n",
                    st->name, page, pages);
  rc |= hv_buf_addstr(b, page_prefixes);
  rc |= hv_buf_addf(b,
                    "<https://%s/catalog> a dcat:Catalog ;\n"
                    "  dct:title \"Open-Data-Portal %s\"@de ;\n"
                    "  hydra:totalItems \"%zu\"^^xsd:integer ;\n"
                    "  hydra:view ",
                    st->host, st->name, cat->n);
  rc |= add_page_url(b, o, s, page);
  rc |= hv_buf_addstr(b, " ;\n  dcat:dataset");
  triples += 4;
  for (i = 0; i < count; i++) {
    e = &cat->entries[first + i];
    rc |= hv_buf_addf(b, "%s\n    <https://%s/dataset/%s-%06" PRIu32 ">",
                      i ? "," : "", states[e->owner].host,
                      states[e->owner].abbr, e->index);
    /* The link is counted in DATASET_TRIPLES, not here. */
  }
  rc |= hv_buf_addstr(b, " .\n\n");

  rc |= add_page_url(b, o, s, page);
  rc |= hv_buf_addstr(b, " a hydra:PartialCollectionView ;\n  hydra:first ");
  rc |= add_page_url(b, o, s, 1);
  rc |= hv_buf_addstr(b, " ;\n  hydra:last ");
  rc |= add_page_url(b, o, s, pages);
  triples += 3;
  if (page > 1) {
    rc |= hv_buf_addstr(b, " ;\n  hydra:previous ");
    rc |= add_page_url(b, o, s, page - 1);
    triples++;
  }
  if (page < pages) {
    rc |= hv_buf_addstr(b, " ;\n  hydra:next ");
    rc |= add_page_url(b, o, s, page + 1);
    triples++;
  }
  rc |= hv_buf_addstr(b, " .\n");
  /* Every hv_buf error is negative, so OR-ing keeps "failed" visible. */
  return rc < 0 ? HV_ETOOBIG : triples;
}

/*
 * Renders one dataset and its two distributions: exactly DATASET_TRIPLES
 * minus one triples (the catalog link is in the header). The first
 * distribution is a file with a download URL; the second is a map
 * service, which has an access URL only, as services do.
 */
static int render_dataset(hv_buf *b, uint64_t seed, const entry *e)
{
  const state_info *st = &states[e->owner];
  uint64_t rng = dataset_stream(seed, e->owner, e->index);
  char id[32], modified[32], issued[16], start[16], end[16], dist_mod[32];
  const char *topic, *qualifier, *region, *authority, *license;
  const char *frequency, *theme;
  size_t kw[3], file, service;
  time_t t_issued, t_modified, t_start;
  unsigned records;
  struct tm tm;
  int year, rc = 0;

  snprintf(id, sizeof(id), "%s-%06" PRIu32, st->abbr, e->index);
  topic = topics[pick(&rng, COUNT(topics))];
  qualifier = qualifiers[pick(&rng, COUNT(qualifiers))];
  region = regions[pick(&rng, COUNT(regions))];
  authority = authorities[pick(&rng, COUNT(authorities))];
  license = licenses[pick(&rng, COUNT(licenses))];
  frequency = frequencies[pick(&rng, COUNT(frequencies))];
  theme = themes[pick(&rng, COUNT(themes))];
  records = 100 + (unsigned)pick(&rng, 90000);
  year = 2015 + (int)pick(&rng, 10);
  kw[0] = pick(&rng, COUNT(keywords));
  kw[1] = (kw[0] + 1 + pick(&rng, COUNT(keywords) - 1)) % COUNT(keywords);
  do
    kw[2] = pick(&rng, COUNT(keywords));
  while (kw[2] == kw[0] || kw[2] == kw[1]);
  file = pick(&rng, COUNT(files));
  service = pick(&rng, COUNT(services));
  t_issued = EPOCH_2018 + (time_t)pick(&rng, 5 * 365) * DAY_S;
  t_modified = t_issued + (time_t)pick(&rng, 700 * DAY_S);
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = year - 1900;
  tm.tm_mday = 1;
  t_start = timegm(&tm);
  format_date(t_issued, issued);
  format_datetime(t_modified, modified);
  format_datetime(t_modified - (time_t)pick(&rng, 3 * DAY_S), dist_mod);
  format_date(t_start, start);
  format_date(t_start + 364 * DAY_S, end);

  rc |= hv_buf_addf(
      b,
      "\n<https://%s/dataset/%s> a dcat:Dataset ;\n"
      "  dct:identifier \"%s\" ;\n"
      "  dct:title \"%s %s %d – %s\"@de ;\n"
      "  dct:description \"%s (%s) für %s im Jahr %d. Herausgeber: %s "
      "%s; Aktualisierung %s; der Bestand umfasst %u Einträge. Stand und "
      "Methodik sind in der Dokumentation beschrieben.\"@de ;\n"
      "  dct:modified \"%s\"^^xsd:dateTime ;\n"
      "  dct:issued \"%s\"^^xsd:date ;\n"
      "  dcat:keyword \"%s\"@de, \"%s\"@de, \"%s\"@de ;\n"
      "  dcat:theme theme:%s ;\n",
      st->host, id, id, topic, qualifier, year, region, topic, qualifier,
      region, year, authority, st->name, frequency, records, modified,
      issued, keywords[kw[0]], keywords[kw[1]], keywords[kw[2]], theme);
  rc |= hv_buf_addf(
      b,
      "  dct:publisher [ a foaf:Organization ;\n"
      "    foaf:name \"%s %s\" ] ;\n"
      "  dcat:contactPoint [ a vcard:Organization ;\n"
      "    vcard:fn \"%s %s, Referat Open Data\" ;\n"
      "    vcard:hasEmail <mailto:opendata@%s> ] ;\n"
      "  dct:spatial "
      "<http://dcat-ap.de/def/politicalGeocoding/stateKey/%s> ;\n"
      "  dct:temporal [ a dct:PeriodOfTime ;\n"
      "    dcat:startDate \"%s\"^^xsd:date ;\n"
      "    dcat:endDate \"%s\"^^xsd:date ] ;\n"
      "  dcatde:contributorID <http://dcat-ap.de/def/contributors/%s> ;\n"
      "  dct:license <%s> ;\n"
      "  dct:accessRights <http://publications.europa.eu/resource/"
      "authority/access-right/PUBLIC> ;\n"
      "  dcat:distribution <https://%s/dataset/%s/distribution/1>,\n"
      "    <https://%s/dataset/%s/distribution/2> .\n",
      authority, st->name, authority, st->name, st->host, st->key, start, end,
      st->contributor, license, st->host, id, st->host, id);
  rc |= hv_buf_addf(
      b,
      "\n<https://%s/dataset/%s/distribution/1> a dcat:Distribution ;\n"
      "  dct:title \"%s %s (%s)\"@de ;\n"
      "  dcat:accessURL <https://download.%s/%s/daten.%s> ;\n"
      "  dcat:downloadURL <https://download.%s/%s/daten.%s> ;\n"
      "  dct:format ft:%s ;\n"
      "  dcat:mediaType "
      "<https://www.iana.org/assignments/media-types/%s> ;\n"
      "  dct:license <%s> ;\n"
      "  dct:modified \"%s\"^^xsd:dateTime .\n",
      st->host, id, topic, qualifier, files[file].code, st->host, id,
      files[file].ext, st->host, id, files[file].ext, files[file].code,
      files[file].media, license, dist_mod);
  rc |= hv_buf_addf(
      b,
      "\n<https://%s/dataset/%s/distribution/2> a dcat:Distribution ;\n"
      "  dct:title \"%s-Dienst %s\"@de ;\n"
      "  dcat:accessURL <https://geo.%s/ows/%s?SERVICE=%s&"
      "REQUEST=GetCapabilities> ;\n"
      "  dct:format ft:%s ;\n"
      "  dcat:mediaType "
      "<https://www.iana.org/assignments/media-types/%s> ;\n"
      "  dct:license <%s> ;\n"
      "  dct:modified \"%s\"^^xsd:dateTime .\n",
      st->host, id, services[service].service, topic, st->host, id,
      services[service].service, services[service].code,
      services[service].media, license, dist_mod);
  return rc < 0 ? HV_ETOOBIG : 0;
}

/* Writes len bytes to path through a temporary file and a rename. */
static int write_file(const char *path, const char *data, size_t len,
                      hv_error *err)
{
  char tmp[PATH_MAX];
  FILE *f = NULL;
  int rc = 0;

  if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
    rc = hv_error_set(err, HV_EINVAL, "output path too long: %s", path);
    goto cleanup;
  }
  if (!(f = fopen(tmp, "wb"))) {
    rc = hv_error_set(err, HV_EIO, "cannot create %s: %s", tmp,
                      strerror(errno));
    goto cleanup;
  }
  if (fwrite(data, 1, len, f) != len) {
    rc = hv_error_set(err, HV_EIO, "cannot write %s: %s", tmp,
                      strerror(errno));
    goto cleanup;
  }
  if (fclose(f) != 0) {
    f = NULL;
    rc = hv_error_set(err, HV_EIO, "cannot write %s: %s", tmp,
                      strerror(errno));
    goto cleanup;
  }
  f = NULL;
  if (rename(tmp, path) != 0) {
    rc = hv_error_set(err, HV_EIO, "cannot rename %s to %s: %s", tmp, path,
                      strerror(errno));
    goto cleanup;
  }

cleanup:
  if (f)
    fclose(f);
  if (rc < 0)
    unlink(tmp);
  return rc;
}

static int make_dir(const char *path, hv_error *err)
{
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    return hv_error_set(err, HV_EIO, "cannot create directory %s: %s", path,
                        strerror(errno));
  return 0;
}

/* Writes every page of state s's catalog and adds to the totals. */
static int write_state(const options *o, int s, const catalog *cat,
                       hv_buf *page_buf, totals *tot, hv_error *err)
{
  size_t pages = (cat->n + (size_t)o->per_page - 1) / (size_t)o->per_page;
  char path[PATH_MAX];
  size_t page, first, count, i;
  long header;
  int rc = 0;

  if (pages == 0)
    pages = 1;
  snprintf(path, sizeof(path), "%s/st%s", o->out_dir, states[s].key);
  if ((rc = make_dir(path, err)) < 0)
    goto cleanup;
  for (page = 1; page <= pages; page++) {
    first = (page - 1) * (size_t)o->per_page;
    count = cat->n - first < (size_t)o->per_page ? cat->n - first
                                                 : (size_t)o->per_page;
    hv_buf_reset(page_buf);
    if ((header = render_header(page_buf, o, s, cat, page, pages, first,
                                count)) < 0) {
      rc = hv_error_set(err, (int)header, "state %s page %zu: cannot render "
                        "(out of memory or over %zu bytes)",
                        states[s].key, page, MAX_PAGE_BYTES);
      goto cleanup;
    }
    for (i = 0; i < count; i++) {
      if ((rc = render_dataset(page_buf, o->seed,
                               &cat->entries[first + i])) < 0) {
        rc = hv_error_set(err, rc, "state %s page %zu: cannot render "
                          "(out of memory or over %zu bytes)",
                          states[s].key, page, MAX_PAGE_BYTES);
        goto cleanup;
      }
    }
    if (page == 1)
      snprintf(path, sizeof(path), "%s/st%s/catalog.ttl", o->out_dir,
               states[s].key);
    else
      snprintf(path, sizeof(path), "%s/st%s/catalog.ttl@page=%zu",
               o->out_dir, states[s].key, page);
    if ((rc = write_file(path, page_buf->ptr, page_buf->len, err)) < 0)
      goto cleanup;
    tot->pages++;
    tot->entries += count;
    tot->triples += (uint64_t)header + (uint64_t)count * DATASET_TRIPLES;
    tot->bytes += page_buf->len;
  }

cleanup:
  return rc;
}

static int write_sources(const options *o, const catalog cats[N_STATES],
                         hv_error *err)
{
  hv_buf b = HV_BUF_INIT(1 << 20);
  char path[PATH_MAX];
  size_t pages;
  int s, rc = 0;

  rc |= hv_buf_addstr(&b, "name\tstate\turl\tentries\tpages\n");
  for (s = 0; s < N_STATES; s++) {
    pages = (cats[s].n + (size_t)o->per_page - 1) / (size_t)o->per_page;
    rc |= hv_buf_addf(&b, "st%s\t%s\t%s/st%s/catalog.ttl\t%zu\t%zu\n",
                      states[s].key, states[s].key, o->base, states[s].key,
                      cats[s].n, pages ? pages : 1);
  }
  if (rc < 0) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  snprintf(path, sizeof(path), "%s/sources.tsv", o->out_dir);
  rc = write_file(path, b.ptr, b.len, err);

cleanup:
  hv_buf_fini(&b);
  return rc;
}

static int parse_long(const char *s, long min, long max, long *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static const char usage[] =
    "usage: gen_w100k --out DIR --base URL [--seed N] [--datasets N]\n"
    "                 [--per-page N]\n"
    "Writes the W100k workload (default 100000 datasets, 100 a page) for\n"
    "the static server under DIR; page links are absolute under URL\n"
    "(e.g. http://127.0.0.1:8080).\n";

static int parse_args(int argc, char **argv, options *o, hv_error *err)
{
  const char *base = NULL;
  long v;
  size_t len;
  int i;

  o->out_dir = NULL;
  o->seed = 1;
  o->datasets = 100000;
  o->per_page = 100;
  for (i = 1; i < argc; i++) {
    if (i + 1 >= argc)
      return hv_error_set(err, HV_EINVAL, "%s: missing value or unknown "
                          "option", argv[i]);
    if (strcmp(argv[i], "--out") == 0) {
      o->out_dir = argv[++i];
    } else if (strcmp(argv[i], "--base") == 0) {
      base = argv[++i];
    } else if (strcmp(argv[i], "--seed") == 0) {
      if (parse_long(argv[++i], 0, LONG_MAX, &v) < 0)
        return hv_error_set(err, HV_EINVAL, "--seed: not a number >= 0: %s",
                            argv[i]);
      o->seed = (uint64_t)v;
    } else if (strcmp(argv[i], "--datasets") == 0) {
      if (parse_long(argv[++i], WEIGHT_TOTAL, 10000000, &o->datasets) < 0)
        return hv_error_set(err, HV_EINVAL,
                            "--datasets: not a number in %d..10000000: %s",
                            WEIGHT_TOTAL, argv[i]);
    } else if (strcmp(argv[i], "--per-page") == 0) {
      if (parse_long(argv[++i], 1, 100000, &o->per_page) < 0)
        return hv_error_set(err, HV_EINVAL,
                            "--per-page: not a number in 1..100000: %s",
                            argv[i]);
    } else {
      return hv_error_set(err, HV_EINVAL, "unknown option: %s", argv[i]);
    }
  }
  if (!o->out_dir || !base)
    return hv_error_set(err, HV_EINVAL, "--out and --base are required");
  len = strlen(base);
  while (len > 0 && base[len - 1] == '/')
    len--;
  if (strncmp(base, "http://", 7) != 0 || len <= 7 ||
      len >= sizeof(o->base) || strpbrk(base, " <>\"{}|\\^`"))
    return hv_error_set(err, HV_EINVAL,
                        "--base: not an http:// URL usable in an IRI: %s",
                        base);
  memcpy(o->base, base, len);
  o->base[len] = '\0';
  return 0;
}

int main(int argc, char **argv)
{
  catalog cats[N_STATES];
  hv_buf page_buf = HV_BUF_INIT(MAX_PAGE_BYTES);
  hv_error err = HV_ERROR_INIT;
  totals tot = {0, 0, 0, 0};
  options o;
  int s, rc;

  memset(cats, 0, sizeof(cats));
  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if ((rc = parse_args(argc, argv, &o, &err)) < 0) {
    fprintf(stderr, "gen_w100k: %s\n%s", err.msg, usage);
    return 2;
  }
  if ((rc = make_dir(o.out_dir, &err)) < 0)
    goto cleanup;
  if ((rc = build_catalogs(&o, cats, &err)) < 0)
    goto cleanup;
  for (s = 0; s < N_STATES; s++)
    if ((rc = write_state(&o, s, &cats[s], &page_buf, &tot, &err)) < 0)
      goto cleanup;
  if ((rc = write_sources(&o, cats, &err)) < 0)
    goto cleanup;
  printf("datasets=%ld entries=%" PRIu64 " pages=%" PRIu64
         " triples=%" PRIu64 " bytes=%" PRIu64 "\n",
         o.datasets, tot.entries, tot.pages, tot.triples, tot.bytes);

cleanup:
  for (s = 0; s < N_STATES; s++)
    hv_free(cats[s].entries);
  hv_buf_fini(&page_buf);
  if (rc < 0) {
    fprintf(stderr, "gen_w100k: %s\n", err.msg);
    return 1;
  }
  return 0;
}
