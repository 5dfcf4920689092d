"""`python -m sample_generator --out DIR`: see generator.main."""

from sample_generator.generator import main

raise SystemExit(main())
