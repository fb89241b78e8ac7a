"""InfoNCE between the [CLS] embeddings of the visible and the masked set
(ccMIM Sec. 3.2, Eq. 7), with negatives from the whole global batch."""
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmcae.registry import MODELS
from mmcae.utils.dist import gather_batch


@MODELS.register_module()
class InfoNCEHead(BaseModule):
    """InfoNCE of the visible set (query, with gradient) against the
    masked set (key, stop-gradient: the teacher, it holds the richer
    patches).

    For the query h_V_i the positive is SG(h_M_i); the negatives are
    SG(h_M_j) for every other image j of the global batch (gathered from
    all processes without gradient) and, with ``intra_negatives`` (Eq. 7's
    first denominator term), the other queries h_V_j, j != i.
    Cosine similarities divided by ``temperature``; cross entropy averaged
    over this process's queries, times ``2 * temperature`` when
    ``scale_by_temperature`` (as MoCo v3 and ccMIM's code).

    Across processes the keys are gathered as constants and the queries
    with their autograd graph (:func:`mmcae.utils.dist.gather_batch`), so N
    processes give the loss and, after DDP's averaging, the gradients of
    one process on the concatenated batch. It runs on one process too.

    The default is the official code's form (github.com/Sherrylone/ccMIM
    at fdc9096, ``models_ccmim.py`` ``forward_alignment_loss``, lines
    265-276: MoCo v3's loss between the two sets, no visible-visible
    negatives, temperature 0.5 with the ``2 T`` factor; the model applies
    the projector to both inputs before this head). Eq. 7 as printed also
    divides by the visible-visible similarities
    (``intra_negatives=True``).

    Args:
        temperature (float): softmax temperature. Defaults to 0.5
            (official code; the paper does not state it).
        intra_negatives (bool): add the visible-visible negatives of Eq. 7
            (gathered across processes WITH gradient). Defaults to False.
        scale_by_temperature (bool): multiply the loss by ``2 *
            temperature``. Defaults to True.
        init_cfg (dict, optional): init config (no parameters).
    """

    def __init__(self,
                 temperature: float = 0.5,
                 intra_negatives: bool = False,
                 scale_by_temperature: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.intra_negatives = intra_negatives
        self.scale_by_temperature = scale_by_temperature

    def loss(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of this process's queries.

        Args:
            input (Tensor): (B, D) visible-set embeddings (queries).
            target (Tensor): (B, D) masked-set embeddings of the same images
                (keys; detached here).

        Returns:
            Tensor: scalar loss.
        """
        if input.shape != target.shape or input.dim() != 2:
            raise ValueError('InfoNCEHead wants two (B, D) tensors of one '
                             f'shape, got {tuple(input.shape)} and '
                             f'{tuple(target.shape)}')
        query = F.normalize(input, dim=1)
        key = F.normalize(target.detach(), dim=1)
        all_keys, offset = gather_batch(key, with_grad=False)
        batch = query.shape[0]
        labels = torch.arange(batch, device=query.device) + offset
        logits = query @ all_keys.t() / self.temperature
        if self.intra_negatives:
            all_queries, _ = gather_batch(query, with_grad=True)
            intra = query @ all_queries.t() / self.temperature
            self_pair = F.one_hot(labels, all_queries.shape[0]).bool()
            intra = intra.masked_fill(self_pair, float('-inf'))
            logits = torch.cat([logits, intra], dim=1)
        loss = F.cross_entropy(logits, labels)
        if self.scale_by_temperature:
            loss = loss * (2 * self.temperature)
        return loss
