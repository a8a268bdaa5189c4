"""The dispatcher's screens: Flet views (``views``) rendering pure view models (``viewmodels``).

Views hold no business logic: they read the local store through ``ports.DataPort``, hand what
they read to a view model, draw the result and send the dispatcher's taps back to the store.
"""
