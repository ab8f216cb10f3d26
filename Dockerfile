# newsarchive on the official Airflow image: the project (pipeline/, spiders/) installed under
# its pinned constraints.txt, the DAGs in the image's DAG folder.
#
#   docker build -t newsarchive .
#   docker compose up -d        # see docker-compose.yaml and docs/operations.md
FROM apache/airflow:3.3.2-python3.11

LABEL org.opencontainers.image.title="newsarchive" \
      org.opencontainers.image.description="Airflow DAGs + Scrapy spiders archiving news sites to WARC and Parquet" \
      org.opencontainers.image.licenses="Apache-2.0"

WORKDIR /opt/newsarchive

# dependencies first (a layer that changes only with constraints.txt / setup.cfg)
COPY --chown=airflow:0 constraints.txt setup.cfg pyproject.toml README.md scrapy.cfg ./
COPY --chown=airflow:0 pipeline ./pipeline
COPY --chown=airflow:0 spiders ./spiders
# The versions are pinned by constraints.txt (-c), including apache-airflow itself, so the
# image's Airflow is never up- or downgraded by the install.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir -c constraints.txt "apache-airflow==3.3.2" . \
    && python -c "import pipeline, spiders, trafilatura, scrapy" \
    && newsarchive --version

COPY --chown=airflow:0 dags /opt/airflow/dags

ENV SCRAPY_SETTINGS_MODULE=spiders.settings \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    NEWSARCHIVE_AIRFLOW_RETRY_DELAY=300

WORKDIR /opt/airflow
