"""yibao: the data pipeline a county data center runs for the yearly 城乡居民基本医疗保险 collection campaign.

Business logic lives here as plain functions over DataFrames and SQLAlchemy connections;
the Airflow DAGs in ``dags/`` only wire these functions together.
"""

__version__ = "0.1.0"

from yibao import memory as _memory

_memory.share_arenas()  # before the stages start their threads (see yibao.memory)

from yibao import redaction as _redaction

_redaction.install()  # every log record of a process that uses yibao is masked (see yibao.redaction)
