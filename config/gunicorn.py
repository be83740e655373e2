"""gunicorn settings for the image (compose and the Dockerfile use `-c config/gunicorn.py`).

The access log leaves out the client address (gunicorn's default format starts with it): Tremor
stores no IP address, in its tables or in its logs.
"""

bind = "0.0.0.0:8000"
workers = 4
accesslog = "-"
# Time, request line, status, bytes, duration, referrer, user agent: no %(h)s, no X-Forwarded-For.
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
