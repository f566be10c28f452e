"""``python -m prodimg_lib.data fetch``: find (or download) Fashion-MNIST and say where it came from."""

from prodimg_lib.data.fashion_mnist import main

raise SystemExit(main())
