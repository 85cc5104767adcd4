"""kinto_query: a fluent, lazy, typed client for the Kinto storage service.

>>> from kinto_query import Client
>>> todo = Client("http://localhost:8888/v1").bucket("b").collection("todo")
>>> todo.filter(status="done").limit(10).url
'http://localhost:8888/v1/buckets/b/collections/todo/records?status=done&_limit=10'
"""

from ._auth import TokenAuth
from ._config import Config
from ._data import Data
from ._endpoints import validate_id
from ._lookups import split_lookup
from ._messages import Request, Response, StreamBody, StreamedResponse
from ._objects._blocking.bucket import Bucket
from ._objects._blocking.client import Client
from ._objects._blocking.collection import Collection, RecordQuery
from ._objects._blocking.group import Group
from ._objects._blocking.mixed_batch import Batch
from ._objects._blocking.record import Record
from ._objects.attachment import Attachment, OriginalFile
from ._objects.batch_calls import BatchHandle
from ._permissions import Permissions, Principals
from ._queries._blocking.query import Listing, Query
from ._queries.scan import Page
from ._report import BatchReport, ItemFailure
from ._retry import RetryPolicy
from ._server._blocking.accounts import Accounts
from ._server._blocking.changes_feed import Changes, Watch
from ._server._blocking.grants import GrantQuery
from ._server._blocking.history import HistoryQuery
from ._server._blocking.monitor import Monitor
from ._server._blocking.replicate import replicate
from ._server._blocking.signature import SignatureVerifier, verify_signature
from ._server.account import Account, Identity
from ._server.changeset import Changeset, MonitorEntry, MonitorSnapshot
from ._server.diff import RecordChange, RecordsDiff, diff_records
from ._server.fetch_changed import CollectionFetch, FetchReport
from ._server.grant import Grant
from ._server.history_entry import HistoryEntry
from ._server.replication import ReplicationReport
from ._server.review import ReviewStatus
from ._server.sync import SyncReport
from ._signer import CollectionRef, SignerResource
from ._urls import DEFAULT_SERVER_URL
from ._wire._blocking.transport import Transport
from ._wire.dry_run import PlannedWrite
from ._wire.http import AsyncWire, HttpxWire, Outgoing, RequestsWire, Wire
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
