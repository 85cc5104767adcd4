"""Canned pages: the client's own cost, the server out of the picture.

A requests adapter answers every page of a collection from bytes made once (the seeded
records, in pages of Kinto's default 10,000, each pointing at the next with ``Next-Page`` as
Kinto does), read as a stream as a real answer is. What is left to time is the client: its
requests, decoding JSON and building records.
"""

from __future__ import annotations

import io
import json
from typing import Any

import requests
from requests.adapters import BaseAdapter

from .seed import make_records
from .timing import REQUESTS

SERVER = "http://canned.test/v1"  # a reserved name: nothing is ever sent there
BUCKET, COLLECTION = "bench", "canned"
RECORDS = f"{SERVER}/buckets/{BUCKET}/collections/{COLLECTION}/records"


class Canned(BaseAdapter):
    """Answers ``GET RECORDS[?_token=START]`` with the page of records from START."""

    def __init__(self, count: int, page_size: int = 10_000) -> None:
        super().__init__()
        self.count, self.page_size = count, page_size
        records = list(make_records(count))
        self.pages = {
            start: json.dumps({"data": records[start:start + page_size]}).encode()
            for start in range(0, count, page_size)
        }

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        REQUESTS.add()
        url = request.url or ""
        start = int(url.rsplit("_token=", 1)[1]) if "_token=" in url else 0
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response.headers["ETag"] = f'"{1_700_000_000_000 + self.count}"'
        if start + self.page_size < self.count:
            response.headers["Next-Page"] = f"{RECORDS}?_token={start + self.page_size}"
        response.url = url
        response.request = request
        response.raw = io.BytesIO(self.pages[start])
        return response

    def close(self) -> None:
        pass
