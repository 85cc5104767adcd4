"""The wire layer: what is sent and how (the transport, its policy, retries, dry runs), over
an HTTP wire per side (``http``: requests for the sync side, httpx for the async one).

Above the floor (the value modules at the package root); below every other layer."""
