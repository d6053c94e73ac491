/*
 * Fuzz target for the fetcher's URL policy, hv_fetch_check_url(): the
 * input, cut at its first NUL, is checked as a URL. A URL that passes is
 * one the harvester will request, so the target insists that nothing
 * passes unless it plainly starts with http:// or https:// (in any case),
 * and that every refusal is HV_EPOLICY with a message.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "fetch/fetch.h"
#include "fuzz_check.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  hv_error err = HV_ERROR_INIT;
  char *url;
  int rc;

  if (!(url = hv_malloc(size + 1)))
    return 0;
  if (size)
    memcpy(url, data, size);
  url[size] = '\0';

  rc = hv_fetch_check_url(url, &err);
  if (rc == 0)
    HV_FUZZ_CHECK(strncasecmp(url, "http://", 7) == 0 ||
                      strncasecmp(url, "https://", 8) == 0,
                  "accepted URL '%s'", url);
  else
    HV_FUZZ_CHECK(rc == HV_EPOLICY && err.code == rc && err.msg[0],
                  "refusal %s with message '%s' for '%s'", hv_err_name(rc),
                  err.msg, url);

  hv_free(url);
  return 0;
}
