"""matchEvents of the wrong type: rejected at registration, naming this plugin."""


def registerCallbacks(reg):
    reg.registerCallback("x", "y", lambda sg, logger, event, args: None, matchEvents={"Shotgun_Shot_New": 5})
