"""cdk-nag v3 acknowledgments: one finding id, one written reason.

cdk-nag 3 replaced NagSuppressions with CDK's ``Validations.of(scope).acknowledge``; findings of rules
that report several (IAM4, IAM5) are acknowledged one by one as ``RuleId[Finding]``.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

LAMBDA_BASIC_EXECUTION = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
)
XRAY_WRITE = "AwsSolutions-IAM5[Resource::*]"
KMS_DATA_KEY_ACTIONS = {
    "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]": "CDK's KMS encrypt grant; the statement is scoped "
    "to the one data key ARN, and SQS/DynamoDB need the GenerateDataKey variants.",
    "AwsSolutions-IAM5[Action::kms:ReEncrypt*]": "CDK's KMS encrypt grant (ReEncryptFrom/To); the statement "
    "is scoped to the one data key ARN.",
}


def acknowledge(scope: IConstruct, findings: Mapping[str, str]) -> None:
    """Acknowledge each finding (e.g. ``AwsSolutions-L1``) on ``scope`` and everything below it.

    Plain ids, not the ``AwsSolutions::`` form the CLI suggests: cdk-nag's own check (used by
    ``validate_scope`` in the tests) only reads plain ids, and the synth-time plugin honours both.
    """
    Validations.of(scope).acknowledge(*(Acknowledgment(id=fid, reason=why) for fid, why in findings.items()))
