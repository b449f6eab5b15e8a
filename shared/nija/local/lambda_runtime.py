"""Just enough of the Lambda runtime to call the real handlers locally: loading a handler module
from functions/, a context object, and the event shapes Lambda's SQS and EventBridge sources send."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[3]
FUNCTIONS = REPO / "functions"
EVENTS = REPO / "events"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

Handler = Callable[[dict[str, Any], Any], Any]


@cache
def load_function(name: str, instance: str = "") -> ModuleType:
    """Import functions/<name>/handler.py as Lambda would (the folder is not a package).

    Each `instance` gets its own module, as each deployment gets its own process on Lambda: module
    state such as a batch processor is never shared between two deployments.
    """
    path = FUNCTIONS / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"nija_fn_{name}_{instance}".rstrip("_"), path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no handler at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    function_name: str
    timeout_s: int = 30
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    region: str = "us-east-1"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:000000000000:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def queue_arn(region: str, queue_name: str) -> str:
    return f"arn:aws:sqs:{region}:000000000000:{queue_name}"


def sqs_event(messages: list[dict[str, Any]], arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS source builds from ReceiveMessage results."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {
                    k: {
                        "stringValue": v.get("StringValue"),
                        "binaryValue": v.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": v["DataType"],
                    }
                    for k, v in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def scheduled_event(rule_name: str, region: str) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends to its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/{rule_name}"],
        "detail": {},
    }


def load_event(case: str, **values: str) -> dict[str, Any]:
    """events/<case>.json with every {{name}} replaced by values[name].

    A placeholder without a value, or a value without a placeholder, is an error: the files and their
    users must not drift apart. SQS records get their md5OfBody recomputed after substitution.
    """
    text = (EVENTS / f"{case}.json").read_text()
    found = set(_PLACEHOLDER.findall(text))
    if missing := found - values.keys():
        raise KeyError(f"events/{case}.json needs values for {sorted(missing)}")
    if unused := values.keys() - found:
        raise KeyError(f"events/{case}.json has no placeholder for {sorted(unused)}")
    for name, value in values.items():
        if not re.fullmatch(r"[\w.@:+/=-]*", value):
            raise ValueError(f"{name}={value!r} would need JSON escaping")
        text = text.replace("{{" + name + "}}", value)
    event: dict[str, Any] = json.loads(text)
    for record in event.get("Records", []):
        if record.get("eventSource") == "aws:sqs":
            record["md5OfBody"] = hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324
    return event


def event_placeholders(case: str) -> set[str]:
    return set(_PLACEHOLDER.findall((EVENTS / f"{case}.json").read_text()))
