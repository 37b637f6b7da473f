"""The consent forms a clinic starts with, one per method, as data: the clinic's admins
edit them (a new version each time) in Django admin. Read by the migration that creates
the forms for the methods a clinic already has, and by the demo clinic."""

# method name (matched without regard to case) -> (title, asks for a signature, text).
# None asks for a signature at first: a clinic that keeps them turns it on per form.
DEFAULT_CONSENT_FORMS: dict[str, tuple[str, bool, str]] = {
    "needle injection": (
        "Mesotherapy by needle injection",
        False,
        "I have been told what mesotherapy by needle injection is: micro-injections of "
        "small quantities of active products into the middle layer of the skin, no deeper "
        "than about 4 mm, in a course of several sessions.\n\n"
        "I have been told what to expect after a session: redness and swelling for 1 to 2 "
        "days, a burning feeling for 15 to 20 minutes, small bruises that fade in 12 to 36 "
        "hours; and what to do before and after each session (medication to pause, no "
        "laser or electrolysis for a week after).\n\n"
        "I have answered the screening truthfully (pregnancy, infections, chronic disease, "
        "diabetes, epilepsy, anticoagulants, allergies, implants) and will tell the clinic "
        "of any change before my next session.\n\n"
        "I consent to the treatment and know I may stop the course at any time.",
    ),
    "electrodermoporation": (
        "Needle-free mesotherapy (electrodermoporation)",
        False,
        "I have been told what electrodermoporation is: a needle-free treatment in which "
        "radio-frequency pulses from a hand-held device open the skin so the active "
        "products diffuse in, in a course of several sessions.\n\n"
        "I have been told what to expect: a gentle massage, sometimes a short redness. I "
        "have declared any pacemaker, metal implant or epilepsy, which rule the device "
        "out, and will tell the clinic of any change before my next session.\n\n"
        "I consent to the treatment and know I may stop the course at any time.",
    ),
    "glycolic acid peel": (
        "Glycolic acid peel",
        False,
        "I have been told what a glycolic acid peel is: an acid applied to the skin for "
        "about a minute to exfoliate it, then neutralised.\n\n"
        "I have been told what to expect: tingling during the peel, redness and light "
        "flaking for a few days; to avoid the sun and use a sun screen for two weeks; and "
        "to stop retinoid creams beforehand as instructed.\n\n"
        "I consent to the treatment and know I may stop it at any time.",
    ),
}
