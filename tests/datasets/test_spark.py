"""Spark reads a partitioned release as one table, with the same values and plain types.

A local SparkSession (one core, no UI, bound to 127.0.0.1) reads the release exactly as a team
that outgrew one machine would: ``spark.read.parquet`` on the ``events/`` folder, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import DateType, DoubleType, IntegerType, LongType, StringType, TimestampType

from eventcoder.datasets.release import Release, read_events
from eventcoder.schema import load_codebook
from tests.datasets.test_release import partitioned_release

pytestmark = pytest.mark.spark

# Errors only: Spark's default profile logs every start-up step at WARN and above to stderr.
LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c: %m%n
"""


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """Yield one local SparkSession for the test session; stop it at the end."""
    tmp = tmp_path_factory.mktemp("spark")
    log4j = tmp / "log4j2.properties"
    log4j.write_text(LOG4J)
    with pytest.MonkeyPatch.context() as mp:
        # Read by the JVM as it starts, before any setting: without it Spark resolves the host
        # name and may pick (and warn about) a public interface. The JVM keeps it once started.
        mp.setenv("SPARK_LOCAL_IP", "127.0.0.1")
        session = (
            SparkSession.builder.master("local[1]")
            .appName("eventcoder-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.local.dir", str(tmp / "local"))
            .config("spark.sql.warehouse.dir", str(tmp / "warehouse"))
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
            .getOrCreate()
        )
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The partitioned release of test_release: Syria 2020 (two events) and 2021 (one)."""
    r, _ = partitioned_release(load_codebook(), tmp_path_factory.mktemp("releases"))
    assert r.partitioned
    return r


def _as_polars(frame: DataFrame, columns: list[str]) -> pl.DataFrame:
    """Spark's rows as polars (through Arrow), in ``columns`` order, sorted by event id."""
    out = pl.from_arrow(frame.toArrow())
    assert isinstance(out, pl.DataFrame)
    return out.select(columns).sort("event_id_cnty")


def test_spark_reads_the_partitioned_events_as_one_table(spark: SparkSession, release: Release):
    events_dir = release.path / "events"
    assert sorted(p.parent.name for p in events_dir.rglob("*.parquet")) == [
        "year=2020",
        "year=2021",
    ]
    frame = spark.read.parquet(str(events_dir))
    expected = pl.scan_parquet(events_dir, hive_partitioning=True).collect().sort("event_id_cnty")
    assert expected.height == 3
    assert frame.count() == 3
    # Partition discovery adds country and year back; Spark puts them last.
    assert set(frame.columns) == set(expected.columns)
    assert frame.columns[-2:] == ["country", "year"]
    types = {f.name: f.dataType for f in frame.schema.fields}
    assert types["event_date"] == DateType()
    assert types["fatalities"] == LongType()
    assert types["timestamp"] == LongType()
    assert types["latitude"] == DoubleType()
    assert types["location"] == StringType()
    assert types["country"] == StringType()
    # Spark infers a partition value's type from the folder names: the narrowest that fits.
    assert types["year"] == IntegerType()
    got = _as_polars(frame, expected.columns).with_columns(pl.col("year").cast(pl.Int64))
    assert_frame_equal(got, expected.with_columns(pl.col("year").cast(pl.Int64)))
    # The library's own reader (codebook order and types) agrees, column for column.
    ours = read_events(release.path).sort("event_id_cnty")
    assert_frame_equal(got.select(ours.columns), ours)
    # Python values through Spark's own rows: dates as dates, ints as ints, nulls as None.
    first = frame.where("location = 'Mozra'").collect()
    assert len(first) == 1
    row = first[0].asDict()
    assert row["event_date"] == date(2020, 6, 3)
    assert row["fatalities"] == 1 and isinstance(row["fatalities"], int)
    assert (row["country"], row["year"]) == ("Syria", 2020)
    assert row["actor2"] == "Civilians (Syria)"
    assert frame.where("year = 2021").select("location").collect()[0][0] == "Sarmada"
    assert frame.where("location = 'Sarmada'").select("actor2").collect()[0][0] is None


def test_spark_reads_annotations_as_polars_does(spark: SparkSession, release: Release):
    path = release.path / "annotations.parquet"
    frame = spark.read.parquet(str(path))
    expected = pl.read_parquet(path)
    assert frame.count() == expected.height == 9
    assert frame.columns == expected.columns
    types = {f.name: f.dataType for f in frame.schema.fields}
    assert types["event_date"] == DateType()
    assert types["fatalities"] == LongType()
    assert types["latitude"] == DoubleType()
    assert types["coder"] == StringType()
    assert types["created_at"] == TimestampType()  # an instant, as Arrow's tz=UTC says
    got = pl.from_arrow(frame.toArrow())
    assert isinstance(got, pl.DataFrame)
    key = ["article_id", "annotation_id"]
    assert_frame_equal(got.sort(key), expected.sort(key), check_dtypes=False)
    assert got.schema == expected.schema
