from . import portal, portal_fault, rating
