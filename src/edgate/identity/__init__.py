"""Pure identity matching: normalization, comparison and decision. No Django in here.

Used by the registration wizard, directory staff entry and bulk import alike (STYLE.md:
"the matcher is pure"). Database candidate lookup lives in edgate.matching.
"""
