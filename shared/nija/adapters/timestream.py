"""The TimeSeries port on Timestream (boto3 timestream-write), and the no-op used when it is off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nija.adapters.aws import client
from nija.ports.timeseries import MAX_BATCH, TimePoint


def record(point: TimePoint) -> dict[str, Any]:
    return {
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(point.dimensions.items())],
        "MeasureName": point.measure,
        "MeasureValue": str(point.value),
        "MeasureValueType": "DOUBLE",
        "Time": str(int(point.at.timestamp() * 1000)),
        "TimeUnit": "MILLISECONDS",
    }


class TimestreamSeries:
    def __init__(self, database: str, table: str) -> None:
        self.database = database
        self.table = table

    def write(self, points: Sequence[TimePoint]) -> int:
        ts = client("timestream-write")
        for start in range(0, len(points), MAX_BATCH):
            batch = points[start : start + MAX_BATCH]
            ts.write_records(
                DatabaseName=self.database, TableName=self.table, Records=[record(p) for p in batch]
            )
        return len(points)


class NoTimeSeries:
    """Timestream is off (the stack flag): points are dropped, nothing fails."""

    def write(self, points: Sequence[TimePoint]) -> int:
        return 0
