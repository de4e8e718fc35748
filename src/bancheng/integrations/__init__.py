"""The systems around the window: the 12345 hotline platform, Open311 GeoReport v2 clients
and the province's unified 好差评 system."""
