from . import portal, rating
