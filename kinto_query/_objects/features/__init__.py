"""What the objects do differently per side, hand-written, both sides in each module (as
``kinto_query._wire.http`` is for HTTP): the features not yet async, as mixins among the bases of
the
classes generated from ``kinto_query/_objects/_async/``.

``AsyncXFeatures`` is the base the async source names; the generator turns that name into
``XFeatures``, the sync mixin holding the sync-only methods. So ``Record`` (generated from
``AsyncRecord``) has every sync feature, including on the records a query builds, while
``AsyncRecord`` lacks those not converted yet. Nothing here is written twice: a feature is
either here, sync only, or in the async source, for both sides.
"""
