"""``python -m kinto_query.cli``: the same as the ``kinto-query`` console script."""

from . import main

if __name__ == "__main__":
    main()
