"""Audit anchors in S3 under Object Lock (compliance mode, the bucket's default retention): every anchor
is a new version of one object, and no version can be changed or removed before its retention ends,
by anyone, the account's root user included. The newest version is the latest anchor.

Each put is conditional on the version it follows (If-Match its ETag; If-None-Match for the first), so
two runs at once cannot both follow the same anchor: the history stays one line, each version holding
the digest of the one before (checked by `nija audit verify-anchors`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from nija.adapters.aws import client
from nija.domain.audit_anchor import ANCHOR_KEY as KEY
from nija.domain.audit_anchor import Anchor
from nija.domain.errors import Conflict


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Anchors:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        # The latest version's ETag and anchor, as last read or put: a read sends the ETag (a 304
        # keeps the anchor), a put follows it (If-Match).
        self._latest: tuple[str, Anchor] | None = None

    def latest(self) -> Anchor | None:
        s3 = client("s3")
        conditional = {"IfNoneMatch": self._latest[0]} if self._latest else {}
        try:
            got = s3.get_object(Bucket=self.bucket, Key=KEY, **conditional)
        except s3.exceptions.NoSuchKey:
            return None
        except ClientError as exc:
            if _code(exc) in ("304", "NotModified") and self._latest is not None:
                return self._latest[1]  # an anchor is put hourly: most reads find it unchanged
            raise
        anchor = Anchor.model_validate_json(got["Body"].read())
        self._latest = (got["ETag"], anchor)
        return anchor

    def _follows_latest(self, anchor: Anchor) -> bool:
        return self._latest is not None and self._latest[1].digest() == anchor.previous

    def put(self, anchor: Anchor) -> str:
        condition: dict[str, Any] = {"IfNoneMatch": "*"}
        if anchor.previous is not None:
            if not self._follows_latest(anchor):
                self.latest()
            if not self._follows_latest(anchor):
                raise Conflict("the anchor this one follows is no longer the latest")
            assert self._latest is not None
            condition = {"IfMatch": self._latest[0]}
        try:
            put = client("s3").put_object(
                Bucket=self.bucket,
                Key=KEY,
                Body=anchor.model_dump_json().encode(),
                ContentType="application/json",
                ChecksumAlgorithm="SHA256",  # Object Lock requires an integrity checksum on the put
                Metadata={"digest": anchor.digest()},
                **condition,
            )
        except ClientError as exc:
            if _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise Conflict("another run put an anchor meanwhile") from None
            raise
        self._latest = (put["ETag"], anchor)
        return f"s3://{self.bucket}/{KEY}?versionId={put['VersionId']}"

    def history(self) -> Iterator[Anchor]:
        """Every anchor ever put, oldest first (ListBucketVersions and GetObjectVersion: an operator's)."""
        s3 = client("s3")
        versions: list[dict[str, Any]] = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=KEY):
            versions += [v for v in page.get("Versions", []) if v["Key"] == KEY]
        for version in reversed(versions):  # S3 lists a key's versions newest first
            body = s3.get_object(Bucket=self.bucket, Key=KEY, VersionId=version["VersionId"])["Body"]
            yield Anchor.model_validate_json(body.read())
