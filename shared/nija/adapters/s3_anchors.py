"""Audit anchors in S3 under Object Lock (compliance mode, the bucket's default retention): every anchor
is a new version of one object, and no version can be changed or removed before its retention ends,
by anyone, the account's root user included. The newest version is the latest anchor."""

from __future__ import annotations

from nija.adapters.aws import client
from nija.domain.audit_anchor import ANCHOR_KEY as KEY
from nija.domain.audit_anchor import Anchor


class S3Anchors:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def latest(self) -> Anchor | None:
        s3 = client("s3")
        try:
            body = s3.get_object(Bucket=self.bucket, Key=KEY)["Body"]
        except s3.exceptions.NoSuchKey:
            return None
        return Anchor.model_validate_json(body.read())

    def put(self, anchor: Anchor) -> str:
        put = client("s3").put_object(
            Bucket=self.bucket,
            Key=KEY,
            Body=anchor.model_dump_json().encode(),
            ContentType="application/json",
            ChecksumAlgorithm="SHA256",  # Object Lock requires an integrity checksum on the put
            Metadata={"digest": anchor.digest()},
        )
        return f"s3://{self.bucket}/{KEY}?versionId={put['VersionId']}"
