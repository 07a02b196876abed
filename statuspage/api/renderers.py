from rest_framework.renderers import JSONRenderer


class SafeJSONRenderer(JSONRenderer):
    """UTF-8 JSON, as DRF's. A lone surrogate that came in as a `\\ud800` escape and is
    echoed back in an error message cannot be encoded as UTF-8: that response is written
    with \\u escapes instead of failing with a 500."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # this instance serves this one response
            return super().render(data, accepted_media_type, renderer_context)
