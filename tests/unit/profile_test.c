/*
 * Unit tests for harvester/map/profile: the committed DCAT-AP.de tables
 * load and answer real lookups, per-source files extend a profile, broken
 * files are refused with file and line, and loading survives every
 * allocation failure without leaking.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <string.h>

#include "map/profile.h"
#include "util/alloc.h"
#include "util/buf.h"

#define PROFILE_DIR HV_SOURCE_DIR "/profiles/dcat-ap-de"
#define LIC "http://dcat-ap.de/def/licenses/"
#define FT "http://publications.europa.eu/resource/authority/file-type/"
#define THEME "http://publications.europa.eu/resource/authority/data-theme/"
#define CONTRIB "http://dcat-ap.de/def/contributors/"
#define DCATDE "http://dcat-ap.de/def/dcatde/"

static hv_profile *load(void)
{
  hv_error err = HV_ERROR_INIT;
  hv_profile *p = NULL;

  HV_ASSERT_OK(hv_profile_new(&p, PROFILE_DIR, &err), &err);
  assert_non_null(p);
  return p;
}

static void licences_resolve_codes_labels_and_legacy_forms(void **state)
{
  hv_profile *p = load();
  const char *by2 = LIC "dl-by-de/2.0";

  (void)state;
  assert_string_equal(hv_profile_license(p, "dl-by-de/2.0"), by2);
  assert_string_equal(
      hv_profile_license(p, "Datenlizenz Deutschland Namensnennung 2.0"), by2);
  /* Case, surrounding space, doubled space and a no-break space. */
  assert_string_equal(
      hv_profile_license(p, "  datenlizenz deutschland\xc2\xa0 "
                            "namensnennung  2.0 "),
      by2);
  assert_string_equal(hv_profile_license(p, LIC "dl-by-de/2_0"), by2);
  assert_string_equal(hv_profile_license(p, "dl-de-by-2.0"), by2);
  assert_string_equal(hv_profile_license(p, by2), by2);
  assert_string_equal(hv_profile_license(p, "CC BY 4.0"), LIC "cc-by/4.0");
  assert_null(hv_profile_license(p, "Datenlizenz Deutschland 7.0"));
  assert_true(hv_profile_is_license(p, by2));
  assert_false(hv_profile_is_license(p, LIC "dl-by-de/2_0"));
  assert_true(hv_profile_license_is_open(p, by2));
  assert_false(hv_profile_license_is_open(p, LIC "cc-by-nc/4.0"));
  hv_profile_free(p);
}

static void file_types_resolve_codes_media_types_and_extensions(void **state)
{
  hv_profile *p = load();
  const char *inputs[] = {"CSV", "csv", "text/csv", ".csv", FT "CSV"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
    const char *got = hv_profile_filetype(p, inputs[i]);

    if (!got || strcmp(got, FT "CSV") != 0)
      fail_msg("%s -> %s, expected the EU CSV type", inputs[i],
               got ? got : "(none)");
  }
  assert_string_equal(hv_profile_filetype(p, "Shapefile"), FT "SHP");
  assert_true(hv_profile_is_filetype(p, FT "JSON"));
  assert_null(hv_profile_filetype(p, "no such format"));
  hv_profile_free(p);
}

static void themes_resolve_groups_and_labels(void **state)
{
  hv_profile *p = load();

  (void)state;
  assert_string_equal(hv_profile_theme(p, "Umwelt", 0), THEME "ENVI");
  assert_string_equal(hv_profile_theme(p, "envi", 0), THEME "ENVI");
  assert_string_equal(hv_profile_theme(p, "transport_verkehr", 0),
                      THEME "TRAN");
  /* One CKAN group standing for two themes. */
  assert_string_equal(hv_profile_theme(p, "bildung_wissenschaft", 0),
                      THEME "EDUC");
  assert_string_equal(hv_profile_theme(p, "bildung_wissenschaft", 1),
                      THEME "TECH");
  assert_null(hv_profile_theme(p, "bildung_wissenschaft", 2));
  assert_null(hv_profile_theme(p, "geo", 0));
  assert_true(hv_profile_is_theme(p, THEME "AGRI"));
  hv_profile_free(p);
}

static void contributors_and_geocoding_give_states(void **state)
{
  hv_profile *p = load();

  (void)state;
  assert_string_equal(hv_profile_contributor_state(p, CONTRIB "openNRW"),
                      "05");
  assert_string_equal(
      hv_profile_contributor_state(p, CONTRIB "transparenzportalHamburg"),
      "02");
  assert_string_equal(
      hv_profile_contributor_state(p, CONTRIB "umweltbundesamt"), "bund");
  assert_null(hv_profile_contributor_state(p, CONTRIB "govData"));
  assert_true(hv_profile_is_contributor(p, CONTRIB "govData"));
  assert_false(hv_profile_is_contributor(p, CONTRIB "nobody"));
  assert_string_equal(
      hv_profile_geocoding_state(
          p, "http://dcat-ap.de/def/politicalGeocoding/regionalKey/"
             "020000000000"),
      "02");
  assert_string_equal(
      hv_profile_geocoding_state(
          p, "http://dcat-ap.de/def/politicalGeocoding/stateKey/05"),
      "05");
  assert_null(hv_profile_geocoding_state(
      p, "http://dcat-ap.de/def/politicalGeocoding/districtKey/99000"));
  assert_null(hv_profile_geocoding_state(p, "http://example.org/05"));
  assert_string_equal(hv_profile_state_name(p, "05"), "Nordrhein-Westfalen");
  hv_profile_free(p);
}

static void namespace_variants_map_to_the_canonical_one(void **state)
{
  hv_profile *p = load();
  const char *variants[] = {
      "http://dcat-ap.de/def/dcatde/1.0/",
      "http://dcat-ap.de/def/dcatde/1.0.1/",
      "http://dcat-ap.de/def/dcatde/1_0/",
      "https://www.dcat-ap.de/def/dcatde/1.1/",
  };
  hv_buf b = HV_BUF_INIT(4096);
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
    assert_string_equal(hv_profile_namespace(p, variants[i]), DCATDE);
    hv_buf_reset(&b);
    assert_int_equal(hv_buf_addstr(&b, variants[i]), 0);
    assert_int_equal(hv_buf_addstr(&b, "contributorID"), 0);
    {
      hv_buf fixed = HV_BUF_INIT(4096);

      assert_int_equal(hv_profile_fix_iri(p, b.ptr, &fixed), 1);
      assert_string_equal(fixed.ptr, DCATDE "contributorID");
      hv_buf_fini(&fixed);
    }
  }
  assert_string_equal(hv_profile_namespace(p, DCATDE), DCATDE);
  hv_buf_reset(&b);
  assert_int_equal(
      hv_profile_fix_iri(p, "http://dcat-ap.de/def/dcatdecontributorID", &b),
      1);
  assert_string_equal(b.ptr, DCATDE "contributorID");
  hv_buf_reset(&b);
  assert_int_equal(hv_profile_fix_iri(p, DCATDE "contributorID", &b), 0);
  assert_int_equal(hv_profile_fix_iri(p, "http://purl.org/dc/terms/title", &b),
                   0);
  /* Past the one-byte filter (the byte after "http://", the second
   * slash of "https://"), but no variant; and shorter than the filter's
   * byte. */
  assert_int_equal(hv_profile_fix_iri(p, "https://www.example.org/x", &b), 0);
  assert_int_equal(hv_profile_fix_iri(p, "http://dcat-ap.de/other", &b), 0);
  assert_int_equal(hv_profile_fix_iri(p, "urn:x", &b), 0);
  assert_int_equal(hv_profile_fix_iri(p, "", &b), 0);
  assert_int_equal(b.len, 0);
  hv_buf_fini(&b);
  hv_profile_free(p);
}

static void table_sizes_are_plausible(void **state)
{
  hv_profile *p = load();

  (void)state;
  assert_int_equal(hv_profile_count(p, HV_PROFILE_LICENSES), 34);
  assert_true(hv_profile_count(p, HV_PROFILE_LICENSE_ALIASES) > 100);
  assert_true(hv_profile_count(p, HV_PROFILE_THEMES) >= 13);
  assert_true(hv_profile_count(p, HV_PROFILE_FILETYPES) > 150);
  assert_true(hv_profile_count(p, HV_PROFILE_FILETYPE_ALIASES) > 400);
  assert_true(hv_profile_count(p, HV_PROFILE_CONTRIBUTORS) > 60);
  assert_int_equal(hv_profile_count(p, HV_PROFILE_STATES), 17);
  assert_int_equal(hv_profile_count(p, HV_PROFILE_NAMESPACES), 7);
  hv_profile_free(p);
}

static char *write_conf(const char *dir, const char *text)
{
  hv_buf path = HV_BUF_INIT(4096);
  FILE *f;
  char *s;

  assert_int_equal(hv_buf_addf(&path, "%s/src.conf", dir), 0);
  f = fopen(path.ptr, "w");
  assert_non_null(f);
  assert_true(fputs(text, f) >= 0);
  assert_int_equal(fclose(f), 0);
  s = hv_buf_detach(&path, NULL);
  assert_non_null(s);
  return s;
}

static void source_file_extends_the_profile(void **state)
{
  hv_error err = HV_ERROR_INIT;
  hv_profile *p = load();
  char *dir = hv_test_tmpdir();
  char *path = write_conf(
      dir, "# Stadt Beispiel\n"
           "license-alias Nutzung frei  nach Satzung " LIC "dl-zero-de/2.0\n"
           "filetype-alias Tabelle (Excel) " FT "XLSX\n"
           "\n"
           "default contributor " CONTRIB "openNRW\n"
           "default publisher https://example.org/org/stadt\n"
           "default license " LIC "dl-by-de/2.0\n"
           "drop http://purl.org/dc/terms/rights\n");

  (void)state;
  assert_null(hv_profile_default_contributor(p));
  HV_ASSERT_OK(hv_profile_load_source(p, path, &err), &err);
  assert_string_equal(hv_profile_license(p, "nutzung frei nach satzung"),
                      LIC "dl-zero-de/2.0");
  assert_string_equal(hv_profile_filetype(p, "Tabelle (Excel)"), FT "XLSX");
  assert_string_equal(hv_profile_default_contributor(p), CONTRIB "openNRW");
  assert_string_equal(hv_profile_default_publisher(p),
                      "https://example.org/org/stadt");
  assert_string_equal(hv_profile_default_license(p), LIC "dl-by-de/2.0");
  assert_true(hv_profile_drops(p, "http://purl.org/dc/terms/rights"));
  assert_false(hv_profile_drops(p, "http://purl.org/dc/terms/title"));
  hv_profile_free(p);
  hv_free(path);
  hv_test_rmtree(dir);
  hv_free(dir);
  /* The committed example file loads too. */
  p = load();
  HV_ASSERT_OK(hv_profile_load_source(
                   p, HV_SOURCE_DIR "/profiles/sources/example.conf", &err),
               &err);
  assert_string_equal(hv_profile_default_contributor(p),
                      CONTRIB "berlinOpenData");
  hv_profile_free(p);
}

static void broken_source_files_name_file_and_line(void **state)
{
  static const struct {
    const char *text;
    const char *where; /* expected in the message after the path */
  } cases[] = {
      {"# ok\nfrobnicate x\n", ":2: unknown directive \"frobnicate\""},
      {"license-alias foo http://example.org/not-a-licence\n",
       ":1: http://example.org/not-a-licence is not a known licence"},
      {"\n\ndefault colour " LIC "cc-zero\n", ":3: unknown default"},
      {"default contributor " CONTRIB "nobody\n", ":1: "},
      {"drop\n", ":1: drop needs one predicate IRI"},
      /* The same alias cannot name two licences. */
      {"license-alias CC BY 4.0 " LIC "cc-zero\n", ":1: \"cc by 4.0\""},
  };
  char *dir = hv_test_tmpdir();
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_error err = HV_ERROR_INIT;
    hv_profile *p = load();
    char *path = write_conf(dir, cases[i].text);

    assert_int_equal(hv_profile_load_source(p, path, &err), HV_EPARSE);
    if (strncmp(err.msg, path, strlen(path)) != 0 ||
        !strstr(err.msg, cases[i].where))
      fail_msg("case %zu: message \"%s\" lacks \"%s%s\"", i, err.msg, path,
               cases[i].where);
    hv_profile_free(p);
    hv_free(path);
  }
  hv_test_rmtree(dir);
  hv_free(dir);
}

static void broken_table_is_refused_with_file_and_line(void **state)
{
  hv_error err = HV_ERROR_INIT;
  hv_profile *p = NULL;
  char *dir = hv_test_tmpdir();
  hv_buf path = HV_BUF_INIT(4096);
  FILE *f;

  (void)state;
  assert_int_equal(hv_buf_addf(&path, "%s/namespaces.tsv", dir), 0);
  f = fopen(path.ptr, "w");
  assert_non_null(f);
  fputs("# comment\nvariant\tcanonical\tkind\tnote\n"
        "http://a.example/\thttp://b.example/\tprefix\tok\n"
        "http://c.example/\thttp://b.example/\tprefix\n",
        f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(hv_profile_new(&p, dir, &err), HV_EPARSE);
  assert_null(p);
  assert_non_null(strstr(err.msg, "namespaces.tsv:4: expected 4"));
  /* A missing table is an I/O error naming it. */
  assert_int_equal(hv_profile_new(&p, HV_SOURCE_DIR "/no-such-dir", &err),
                   HV_EIO);
  assert_non_null(strstr(err.msg, "no-such-dir/namespaces.tsv"));
  hv_buf_fini(&path);
  hv_test_rmtree(dir);
  hv_free(dir);
}

static void loading_survives_every_allocation_failure(void **state)
{
  long n;
  int ok = 0;

  (void)state;
  for (n = 0; !ok; n++) {
    hv_error err = HV_ERROR_INIT;
    hv_profile *p = NULL;
    int rc;

    hv_alloc_fail_after(n);
    rc = hv_profile_new(&p, PROFILE_DIR, &err);
    hv_alloc_fail_reset();
    if (rc == 0) {
      ok = 1;
      assert_string_equal(hv_profile_license(p, "dl-by-de/2.0"),
                          LIC "dl-by-de/2.0");
      hv_profile_free(p);
    } else {
      assert_int_equal(rc, HV_ENOMEM);
      assert_null(p);
    }
  }
  assert_true(n > 10);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(licences_resolve_codes_labels_and_legacy_forms),
      cmocka_unit_test(file_types_resolve_codes_media_types_and_extensions),
      cmocka_unit_test(themes_resolve_groups_and_labels),
      cmocka_unit_test(contributors_and_geocoding_give_states),
      cmocka_unit_test(namespace_variants_map_to_the_canonical_one),
      cmocka_unit_test(table_sizes_are_plausible),
      cmocka_unit_test(source_file_extends_the_profile),
      cmocka_unit_test(broken_source_files_name_file_and_line),
      cmocka_unit_test(broken_table_is_refused_with_file_and_line),
      cmocka_unit_test(loading_survives_every_allocation_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
