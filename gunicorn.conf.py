"""gunicorn's settings file, read from the working directory by `gunicorn 'app:create_app()'`.

Only what the app's speed needs; workers, binding and the rest stay on the command line.
"""

import gc


def post_worker_init(_worker) -> None:
    """Once a worker has built the app: keep what it built (modules, routes, templates, some
    140,000 objects) out of the garbage collector's full passes. Otherwise every full pass
    walks them all, about 0.5 ms per request on average on a list page, to find nothing to free:
    they live as long as the worker does. Requests' own objects are still collected as before."""
    gc.collect()
    gc.freeze()
