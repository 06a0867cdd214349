"""Protocol endpoints outside the language prefix: /sru and /oai."""

urlpatterns = []
