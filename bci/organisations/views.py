from django.http import HttpResponse


def network_overview(request):
    return HttpResponse("BCI")
