"""The security headers every API response carries, the API's own (nija.api.responses) and API
Gateway's (its gateway responses, infra_cdk/constructs/api.py): one place for their values."""

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# HTTPS only (API Gateway serves nothing else; a browser ignores it over plain HTTP): two years, as
# the HSTS preload list asks.
HSTS = "max-age=63072000; includeSubDomains"
