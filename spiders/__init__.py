"""The Scrapy project of newsarchive: the generic news spider and its components.

``pipeline/`` never imports this package (nor Scrapy); crawls run as their own process
(``scrapy crawl news -a site=ID -a start=YYYY-MM-DD -a end=YYYY-MM-DD``).
"""
