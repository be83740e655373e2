import os

from django.core.wsgi import get_wsgi_application

from config.embedded_db import start_embedded_database

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
start_embedded_database()  # with no DATABASE_URL: the embedded server, before any request
application = get_wsgi_application()
