"""kinto_query: a fluent, lazy, typed client for the Kinto storage service.

>>> from kinto_query import Client
>>> todo = Client("http://localhost:8888/v1").bucket("b").collection("todo")
>>> todo.filter(status="done").limit(10).url
'http://localhost:8888/v1/buckets/b/collections/todo/records?status=done&_limit=10'
"""

from ._accounts import Account, Accounts, Identity
from ._attachment import Attachment, OriginalFile
from ._auth import TokenAuth
from ._bucket import Bucket
from ._changes_feed import Changes, Watch
from ._changeset import Changeset
from ._client import Client
from ._collection import Collection, RecordQuery
from ._config import Config
from ._data import Data
from ._diff import RecordChange, RecordsDiff, diff_records
from ._dry_run import PlannedWrite
from ._endpoints import validate_id
from ._fetch_changed import CollectionFetch, FetchReport
from ._grants import Grant, GrantQuery
from ._group import Group
from ._history import HistoryEntry, HistoryQuery
from ._lookups import split_lookup
from ._messages import StreamBody, StreamedResponse
from ._mixed_batch import Batch, BatchHandle
from ._monitor import Monitor, MonitorEntry, MonitorSnapshot
from ._permissions import Permissions, Principals
from ._query import Listing, Query
from ._record import Record
from ._replicate import ReplicationReport, replicate
from ._report import BatchReport, ItemFailure
from ._retry import RetryPolicy
from ._review import ReviewStatus
from ._scan import Page
from ._signature import SignatureVerifier, verify_signature
from ._signer import CollectionRef, SignerResource
from ._sync import SyncReport
from ._transport import DEFAULT_SERVER_URL, Request, Response, Transport
from ._wire import AsyncWire, HttpxWire, Outgoing, RequestsWire, Wire
from .exceptions import (
    AlreadyExists,
    BackoffRequested,
    BadRequest,
    BatchError,
    BatchNotSent,
    ConfigurationError,
    Conflict,
    Forbidden,
    HashMismatch,
    HTTPError,
    IncompleteScan,
    InvalidId,
    InvalidQuery,
    InvalidRecords,
    InvalidResponse,
    InvalidReviewStep,
    InvalidSignature,
    KintoConnectionError,
    KintoError,
    LastEditorCannotReview,
    NoAttachment,
    NotAuthenticated,
    NotEnabled,
    NotFound,
    NotLoaded,
    OutcomeUnknown,
    Overwritten,
    PreconditionFailed,
    ReplicationError,
    ReviewConflict,
    ReviewError,
    ReviewForbidden,
    SchemaMismatch,
    ServerError,
    SignerOwned,
    SigningNotEnabled,
    TooManyRedirects,
    TooManyRequests,
    Unauthorized,
    UnsafeURL,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SERVER_URL",
    "Account",
    "Accounts",
    "AlreadyExists",
    "AsyncWire",
    "Attachment",
    "BackoffRequested",
    "BadRequest",
    "Batch",
    "BatchError",
    "BatchHandle",
    "BatchNotSent",
    "BatchReport",
    "Bucket",
    "Changes",
    "Changeset",
    "Client",
    "Collection",
    "CollectionFetch",
    "CollectionRef",
    "Config",
    "ConfigurationError",
    "Conflict",
    "Data",
    "FetchReport",
    "Forbidden",
    "Grant",
    "GrantQuery",
    "Group",
    "HTTPError",
    "HashMismatch",
    "HistoryEntry",
    "HistoryQuery",
    "HttpxWire",
    "Identity",
    "IncompleteScan",
    "InvalidId",
    "InvalidQuery",
    "InvalidRecords",
    "InvalidResponse",
    "InvalidReviewStep",
    "InvalidSignature",
    "ItemFailure",
    "KintoConnectionError",
    "KintoError",
    "LastEditorCannotReview",
    "Listing",
    "Monitor",
    "MonitorEntry",
    "MonitorSnapshot",
    "NoAttachment",
    "NotAuthenticated",
    "NotEnabled",
    "NotFound",
    "NotLoaded",
    "OriginalFile",
    "OutcomeUnknown",
    "Outgoing",
    "Overwritten",
    "Page",
    "Permissions",
    "PlannedWrite",
    "PreconditionFailed",
    "Principals",
    "Query",
    "Record",
    "RecordChange",
    "RecordQuery",
    "RecordsDiff",
    "ReplicationError",
    "ReplicationReport",
    "Request",
    "RequestsWire",
    "Response",
    "RetryPolicy",
    "ReviewConflict",
    "ReviewError",
    "ReviewForbidden",
    "ReviewStatus",
    "SchemaMismatch",
    "ServerError",
    "SignatureVerifier",
    "SignerOwned",
    "SignerResource",
    "SigningNotEnabled",
    "StreamBody",
    "StreamedResponse",
    "SyncReport",
    "TokenAuth",
    "TooManyRedirects",
    "TooManyRequests",
    "Transport",
    "Unauthorized",
    "UnsafeURL",
    "Watch",
    "Wire",
    "__version__",
    "diff_records",
    "replicate",
    "split_lookup",
    "validate_id",
    "verify_signature",
]
