"""gunicorn settings for the image (compose and the Dockerfile use `-c config/gunicorn.py`).

The access log leaves out the client address (gunicorn's default format starts with it): Tremor
stores no IP address, in its tables or in its logs.
"""

bind = "0.0.0.0:8000"
workers = 4
# Threads: a report waits on the database and the cache, not the CPU.
worker_class = "gthread"
threads = 8
accesslog = "-"
# Time, request line, status, bytes, duration, referrer, user agent: no %(h)s, no X-Forwarded-For.
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
