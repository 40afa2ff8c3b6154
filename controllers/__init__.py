from . import portal, portal_fault, portal_rating, rating
