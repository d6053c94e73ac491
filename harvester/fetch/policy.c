/*
 * What the fetcher may fetch (see fetch.h): http and https URLs written
 * out in full, and peers whose addresses the configuration allows.
 * Loopback and private networks are refused unless allowed, because a
 * registered source must never make the harvester reach into the network
 * it runs in; unspecified, multicast and reserved addresses always are.
 */
#include "fetch/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fetch/fetch_int.h"
#include "util/alloc.h"

/* Classifies an address; returns NULL if allowed, else why it is not. */
static const char *check_v4(const hv_fetch_opts *o, uint32_t a)
{
  if ((a >> 24) == 127)
    return o->allow_loopback ? NULL : "loopback";
  if ((a >> 24) == 0)
    return "unspecified";
  if ((a >> 28) == 0xe)
    return "multicast";
  if ((a >> 28) == 0xf)
    return "reserved";
  if ((a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8)
    return o->allow_private ? NULL : "private";
  if ((a >> 16) == 0xa9fe)
    return o->allow_private ? NULL : "link-local";
  return NULL;
}

static const char *check_v6(const hv_fetch_opts *o, const unsigned char *b)
{
  static const unsigned char zero[16];
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0xff, 0xff};

  if (memcmp(b, mapped, 12) == 0)
    return check_v4(o, (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                           (uint32_t)b[14] << 8 | b[15]);
  if (memcmp(b, zero, 15) == 0 && b[15] == 1)
    return o->allow_loopback ? NULL : "loopback";
  if (memcmp(b, zero, 16) == 0)
    return "unspecified";
  if (b[0] == 0xff)
    return "multicast";
  if ((b[0] & 0xfe) == 0xfc)
    return o->allow_private ? NULL : "private";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
    return o->allow_private ? NULL : "link-local";
  return NULL;
}

int hv_fetch_check_addr(const hv_fetch_opts *opts, int family,
                        const void *addr, hv_error *err)
{
  char text[INET6_ADDRSTRLEN];
  const char *why = "unsupported address family";

  if (family == AF_INET) {
    uint32_t a;

    memcpy(&a, addr, sizeof(a));
    why = check_v4(opts, ntohl(a));
  } else if (family == AF_INET6) {
    unsigned char b[16];

    memcpy(b, addr, sizeof(b));
    why = check_v6(opts, b);
  }
  if (!why)
    return 0;
  if (family != AF_INET && family != AF_INET6)
    return hv_error_set(err, HV_EPOLICY,
                        "address family %d refused by policy", family);
  if (!inet_ntop(family, addr, text, sizeof(text)))
    snprintf(text, sizeof(text), "?");
  return hv_error_set(err, HV_EPOLICY, "address %s refused by policy (%s)",
                      text, why);
}

int hv__fetch_check_url(const char *url, char **host_out, hv_error *err)
{
  CURLU *u = NULL;
  CURLUcode uc;
  char *scheme = NULL, *host = NULL;
  int rc = 0;

  if (!url || !*url)
    return hv_error_set(err, HV_EPOLICY, "empty URL");
  if (!(u = curl_url()))
    return hv_error_oom(err);
  /* Accept any scheme here so that the error names it. */
  uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
  if (uc != CURLUE_OK) {
    rc = hv_error_set(err, HV_EPOLICY, "%s: malformed URL: %s", url,
                      curl_url_strerror(uc));
    goto cleanup;
  }
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
    rc = hv_error_set(err, HV_EPOLICY,
                      "%s: scheme '%s' refused (only http and https)", url,
                      scheme ? scheme : "");
    goto cleanup;
  }
  /* curl mends "http:/host" and "http:host" into "http://host"; a URL
   * that needed mending is a typo in a source's configuration or a trick
   * in a redirect, and is refused rather than guessed at. */
  if (strncasecmp(url, scheme, strlen(scheme)) != 0 ||
      strncmp(url + strlen(scheme), "://", 3) != 0) {
    rc = hv_error_set(err, HV_EPOLICY, "%s: URL must start with %s://", url,
                      scheme);
    goto cleanup;
  }
  if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
    rc = hv_error_set(err, HV_EPOLICY, "%s: URL has no host", url);
    goto cleanup;
  }
  if (host_out) {
    char *p;

    if (!(*host_out = hv_strdup(host))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    for (p = *host_out; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
  }

cleanup:
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}

int hv_fetch_check_url(const char *url, hv_error *err)
{
  return hv__fetch_check_url(url, NULL, err);
}

