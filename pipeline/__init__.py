"""newsarchive: crawl news sites and keep a permanent, queryable archive.

``pipeline`` is the plain library behind the Scrapy spiders (``spiders/``) and the Airflow DAGs
(``dags/``). It imports neither Scrapy nor Airflow.
"""

__version__ = "0.1.0"
