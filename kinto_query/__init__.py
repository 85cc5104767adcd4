"""kinto_query: a fluent, lazy, typed client for the Kinto storage service.

>>> from kinto_query import Client
>>> todo = Client("http://localhost:8888/v1").bucket("b").collection("todo")
>>> todo.filter(status="done").limit(10).url
'http://localhost:8888/v1/buckets/b/collections/todo/records?status=done&_limit=10'
"""

from ._batch import BatchReport, ItemFailure
from ._bucket import Bucket, Group
from ._client import DEFAULT_SERVER_URL, Client, TokenAuth
from ._collection import Collection, RecordQuery
from ._data import Data
from ._permissions import Permissions
from ._query import Page, Query
from ._record import Record
from .exceptions import (
    AlreadyExists,
    BadRequest,
    BatchError,
    Conflict,
    Forbidden,
    HTTPError,
    InvalidId,
    InvalidQuery,
    KintoConnectionError,
    KintoError,
    NotFound,
    PreconditionFailed,
    ServerError,
    TooManyRequests,
    Unauthorized,
    UnsafeURL,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SERVER_URL",
    "AlreadyExists",
    "BadRequest",
    "BatchError",
    "BatchReport",
    "Bucket",
    "Client",
    "Collection",
    "Conflict",
    "Data",
    "Forbidden",
    "Group",
    "HTTPError",
    "InvalidId",
    "InvalidQuery",
    "ItemFailure",
    "KintoConnectionError",
    "KintoError",
    "NotFound",
    "Page",
    "Permissions",
    "PreconditionFailed",
    "Query",
    "Record",
    "RecordQuery",
    "ServerError",
    "TokenAuth",
    "TooManyRequests",
    "Unauthorized",
    "UnsafeURL",
    "__version__",
]
