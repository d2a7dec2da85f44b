"""The Odds API v4: typed responses, credit costs, and the async client.

Import from the submodules (``oddscore.provider.client``, ``.costs``, ``.models``,
``.response``); this package stays empty so that importing the models (the simulator does)
never drags in httpx or tenacity.
"""
