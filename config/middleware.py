"""A Content-Security-Policy header on every response (Django 5.2 has none built in)."""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = settings.CONTENT_SECURITY_POLICY
            for prefix, relaxed in settings.CONTENT_SECURITY_POLICY_EXCEPTIONS.items():
                if request.path.startswith(prefix):
                    policy = relaxed
            response["Content-Security-Policy"] = policy
        return response
