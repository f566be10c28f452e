"""The course's diagrams, as Mermaid text: the notebooks show them in markdown (rendered by GitHub and
JupyterLab) and draw them with :func:`prodimg_lib.flowchart.draw` for Colab, which does not render
Mermaid. A test checks that each notebook's markdown holds exactly this text.
"""

__all__ = ["COURSE_PIPELINE", "PRODUCT_PIPELINE"]

# Notebook 00: the product-image pipeline the course builds, with the notebooks of each stage.
COURSE_PIPELINE = """\
flowchart LR
    N["random noise z + class label"] --> G["generator network<br/>(05, 06, 08)"]
    P["product photos"] --> PRE["preprocessing: crop, resize, scale to -1..1<br/>(00, 04)"]
    PRE --> ENH["enhancement CNNs: super-resolution, denoising, repair, tone<br/>(09, 10, 11)"]
    G --> ENH
    ENH --> POST["post-processing: sharpen, rescale to 0..255<br/>(11)"]
    POST --> Q{"quality gate: classifier confidence, realism<br/>(07, 12)"}
    Q -->|pass| OUT["catalogue images + manifest<br/>(12)"]
    Q -->|reject| R["rejected, with the reason"]
"""

# Notebook 12: the pipeline it runs, stage by stage.
PRODUCT_PIPELINE = """\
flowchart LR
    A[order: classes and counts] --> B[generate<br>conditional DCGAN, nb 06]
    B --> C[enhance<br>super-resolution x4, nb 09<br>+ unsharp mask]
    C --> D[post-process<br>white background]
    D --> E{quality gate<br>classifier confidence, nb 04<br>realism score, nb 07}
    E -- accepted --> F[export<br>catalogue sheet, images, manifest]
    E -- rejected --> G[shown with the reason]
"""
