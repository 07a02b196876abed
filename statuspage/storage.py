from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # A template naming a file that is not collected renders its plain name, not a 500.
    manifest_strict = False
