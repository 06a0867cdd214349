app_name = "opac"
urlpatterns = []
