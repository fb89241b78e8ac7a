"""The one Vision Transformer of mmcae: pretraining, classification,
segmentation and detection all use this class, configured by options.

Why our own: mmpretrain keeps VisionTransformer, BEiTViT and CAEPretrainViT,
mmseg keeps BEiT and MAE backbones, mmdet keeps ViTDet; each differs in bias
layout, layer scale, position embedding and output format, so a checkpoint
and a layer-decay rule written for one do not fit another. This class covers
them with keyword options and keeps timm / MAE / BEiT parameter names
(``patch_embed.proj``, ``blocks.i.attn.qkv``, ``q_bias``, ``gamma_1``), so
that checkpoint conversion is a rename (see :mod:`mmcae.checkpoint`).

Papers: ViT (Dosovitskiy et al. 2021) for the architecture; BEiT (Bao et al.
2022, Sec. 2.6) for q/v biases, layer scale and relative position bias; CAE
(Chen et al., Sec. 3.1) for the fixed sin-cos embedding with a zero [CLS]
row and the encoder that only sees visible patches.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.utils.checkpoint as cp
from mmengine.logging import print_log
from mmengine.model import BaseModule, initialize
from torch import nn

from mmcae.registry import MODELS
from ..layers import (RelativePositionBias, TransformerBlock,
                      build_2d_sincos_pos_embed, resize_pos_embed,
                      resize_position_tables)

#: arch name -> embed_dims, num_layers, num_heads, mlp_hidden_dims
ARCH_SETTINGS: Dict[str, Dict[str, int]] = {
    'tiny': dict(embed_dims=192, num_layers=12, num_heads=3,
                 mlp_hidden_dims=768),
    'small': dict(embed_dims=384, num_layers=12, num_heads=6,
                  mlp_hidden_dims=1536),
    'base': dict(embed_dims=768, num_layers=12, num_heads=12,
                 mlp_hidden_dims=3072),
    'large': dict(embed_dims=1024, num_layers=24, num_heads=16,
                  mlp_hidden_dims=4096),
    # MoCo v3's ViT-S has 12 heads (not 6): same weight shapes, other output
    'mocov3-small': dict(embed_dims=384, num_layers=12, num_heads=12,
                         mlp_hidden_dims=1536),
    # official CAE ViT-S / ViT-T have 12 heads too (Atten4Vis/CAE
    # models/modeling_cae.py, cae_small_patch16_224 / cae_tiny_patch16_224)
    'cae-small': dict(embed_dims=384, num_layers=12, num_heads=12,
                      mlp_hidden_dims=1536),
    'cae-tiny': dict(embed_dims=192, num_layers=12, num_heads=12,
                     mlp_hidden_dims=768),
}
_ARCH_ALIASES = {'t': 'tiny', 's': 'small', 'b': 'base', 'l': 'large',
                 'deit-tiny': 'tiny', 'deit-small': 'small'}
POS_EMBED_TYPES = ('sincos', 'learned', None)
#: ``init_scheme`` values: whose official initialization a fresh ViT gets
INIT_SCHEMES = ('trunc_normal', 'dino', 'cae', 'mae')
OUT_TYPES = ('raw', 'cls_token', 'featmap', 'avg_featmap')


def _to_2tuple(value: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f'expected an int or a pair, got {value}')
    return value  # type: ignore


class PatchEmbed(nn.Module):
    """Non-overlapping patches by a strided convolution (``proj``)."""

    def __init__(self, in_channels: int, embed_dims: int, patch_size: int):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(
            in_channels, embed_dims, patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int,
                                                                    int]]:
        if x.shape[-2] % self.patch_size or x.shape[-1] % self.patch_size:
            raise ValueError(
                f'input size {tuple(x.shape[-2:])} is not a multiple of the '
                f'patch size {self.patch_size}; pad or resize the input '
                '(mmseg/mmdet data preprocessors: size_divisor)')
        x = self.proj(x)
        grid = (x.shape[2], x.shape[3])
        return x.flatten(2).transpose(1, 2), grid


@MODELS.register_module()
class ViT(BaseModule):
    """Vision Transformer for every task of mmcae.

    Args:
        arch (str | dict): 'tiny', 'small', 'base', 'large' (or 't', 's',
            'b', 'l'; timm / DeiT / MAE head counts 3, 6, 12, 16),
            'cae-tiny' / 'cae-small' (official CAE: 12 heads),
            'mocov3-small' (12 heads), or a dict with ``embed_dims``,
            ``num_layers``, ``num_heads`` and ``mlp_hidden_dims`` (or
            ``mlp_ratio``).
        img_size (int | tuple): the input size the position tables are
            built for; other sizes are handled at run time (absolute
            embeddings and relative position tables are resized
            bicubically).
        patch_size (int): patch size. Defaults to 16.
        in_channels (int): input channels. Defaults to 3.
        qkv_bias (str | None): 'qkv' (ViT, MAE), 'qv' (BEiT, CAE) or None.
        layer_scale_init_value (float): layer scale init (0 = off; CAE uses
            0.1 for base, 1e-5 for large).
        pos_embed (str | None): 'sincos' (fixed, zero [CLS] row; stored as a
            frozen parameter so checkpoints carry it), 'learned' (trunc
            normal init) or None.
        use_rel_pos_bias (bool): a BEiT relative position bias per block.
        with_cls_token (bool): prepend a [CLS] token. Defaults to True.
        with_dist_token (bool): a distillation token after [CLS] (distilled
            DeiT: tokens [CLS], [DIST], patches; every token attends to
            [DIST], so a distilled checkpoint needs it to give its
            features). Defaults to False.
        use_mask_token (bool): create ``mask_token`` (for algorithms that
            replace masked patches, e.g. BEiT/SimMIM-style). Defaults to
            False.
        out_indices (int | Sequence[int]): blocks whose outputs are
            returned; negative values count from the end. Defaults to -1.
        out_type (str): 'raw' (B, N, C) tokens; 'cls_token' (B, C);
            'featmap' (B, C, H, W) patch tokens; 'avg_featmap' (B, C):
            mean of the patch tokens through ``fc_norm``.
        final_norm (bool): apply ``norm`` after the last block.
        drop_rate (float): dropout rate. Defaults to 0.
        attn_drop_rate (float): attention dropout rate. Defaults to 0.
        drop_path_rate (float): stochastic depth, linear over blocks.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        frozen_stages (int): freeze the embeddings and the first
            ``frozen_stages`` blocks (and ``norm`` and ``fc_norm`` if
            all); -1 = none.
        with_cp (bool): activation checkpointing of every block in
            training.
        interpolate_mode (str): how position embeddings are resized.
        init_scheme (str): how a ViT without pretrained weights is
            initialized, as each method's official code does:
            'trunc_normal' (linear layers truncated normal std 0.02 as
            timm / BEiT / DINO, the patch embedding Xavier-uniform as a
            linear layer as MAE), 'dino' (facebookresearch/dino
            vision_transformer.py ``_init_weights``: linear layers
            truncated normal std 0.02, the patch embedding left at torch's
            Conv2d default), 'cae' (Atten4Vis/CAE models/modeling_cae.py
            ``_init_weights``, applied to the whole model last: every linear
            layer Xavier-uniform; patch embedding, [CLS] and mask token
            truncated normal std 0.02 cut at +-std, the official
            ``trunc_normal_`` wrapper) or 'mae' (facebookresearch/mae
            models_mae.py ``initialize_weights``: linear layers and the
            patch embedding Xavier-uniform, tokens normal std 0.02). Biases
            zero and LayerNorms identity in all. It is an option of the
            ViT, not an ``init_cfg`` of the enclosing model, because
            mmengine initializes children after their parent: a
            model-level ``init_cfg`` would be overwritten by this class.
        init_cfg (dict, optional): mmengine init config, e.g.
            ``dict(type='Pretrained', checkpoint=...)``.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: Union[int, Sequence[int]] = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 qkv_bias: Optional[str] = 'qkv',
                 layer_scale_init_value: float = 0.,
                 pos_embed: Optional[str] = 'learned',
                 use_rel_pos_bias: bool = False,
                 with_cls_token: bool = True,
                 use_mask_token: bool = False,
                 out_indices: Union[int, Sequence[int]] = -1,
                 out_type: str = 'cls_token',
                 final_norm: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 frozen_stages: int = -1,
                 with_cp: bool = False,
                 interpolate_mode: str = 'bicubic',
                 init_scheme: str = 'trunc_normal',
                 with_dist_token: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        settings = self._arch_settings(arch)
        self.embed_dims = settings['embed_dims']
        self.num_layers = settings['num_layers']
        self.num_heads = settings['num_heads']
        self.img_size = _to_2tuple(img_size)
        self.patch_size = patch_size
        self.patch_resolution = (self.img_size[0] // patch_size,
                                 self.img_size[1] // patch_size)
        if pos_embed not in POS_EMBED_TYPES:
            raise ValueError(f'pos_embed must be one of {POS_EMBED_TYPES}, '
                             f'got {pos_embed!r}')
        if out_type not in OUT_TYPES:
            raise ValueError(f'out_type must be one of {OUT_TYPES}, got '
                             f'{out_type!r}')
        if out_type == 'cls_token' and not with_cls_token:
            raise ValueError("out_type='cls_token' needs with_cls_token=True")
        if init_scheme not in INIT_SCHEMES:
            raise ValueError(f'init_scheme must be one of {INIT_SCHEMES}, '
                             f'got {init_scheme!r}')
        if with_dist_token and not with_cls_token:
            raise ValueError('with_dist_token=True needs with_cls_token=True '
                             '(distilled DeiT: [CLS], [DIST], patches)')
        self.init_scheme = init_scheme
        self.pos_embed_type = pos_embed
        self.out_type = out_type
        self.final_norm = final_norm
        self.frozen_stages = frozen_stages
        self.with_cp = with_cp
        self.interpolate_mode = interpolate_mode
        self.num_extra_tokens = int(with_cls_token) + int(with_dist_token)

        self.patch_embed = PatchEmbed(in_channels, self.embed_dims,
                                      patch_size)
        if with_cls_token:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        else:
            self.cls_token = None
        if with_dist_token:
            self.dist_token = nn.Parameter(torch.zeros(1, 1,
                                                       self.embed_dims))
        else:
            self.dist_token = None
        if use_mask_token:
            self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        else:
            self.mask_token = None
        num_positions = self.num_extra_tokens + (
            self.patch_resolution[0] * self.patch_resolution[1])
        if pos_embed == 'sincos':
            table = build_2d_sincos_pos_embed(self.patch_resolution,
                                              self.embed_dims,
                                              self.num_extra_tokens)
            self.pos_embed = nn.Parameter(table, requires_grad=False)
        elif pos_embed == 'learned':
            self.pos_embed = nn.Parameter(
                torch.zeros(1, num_positions, self.embed_dims))
        else:
            self.pos_embed = None
        self.pos_drop = nn.Dropout(drop_rate)

        depths = torch.linspace(0, drop_path_rate, self.num_layers).tolist()
        self.blocks = nn.ModuleList([
            TransformerBlock(
                self.embed_dims,
                self.num_heads,
                settings['mlp_hidden_dims'],
                qkv_bias=qkv_bias,
                layer_scale_init_value=layer_scale_init_value,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=depths[i],
                norm_eps=norm_eps) for i in range(self.num_layers)
        ])
        if use_rel_pos_bias:
            if not with_cls_token or with_dist_token:
                raise ValueError('use_rel_pos_bias=True needs exactly one '
                                 'extra token, [CLS] (BEiT table layout)')
            for block in self.blocks:
                block.attn.relative_position_bias = RelativePositionBias(
                    self.patch_resolution, self.num_heads)
        self.use_rel_pos_bias = use_rel_pos_bias

        self.norm = nn.LayerNorm(
            self.embed_dims, eps=norm_eps) if final_norm else None
        self.fc_norm = nn.LayerNorm(
            self.embed_dims,
            eps=norm_eps) if out_type == 'avg_featmap' else None

        if isinstance(out_indices, int):
            out_indices = [out_indices]
        self.out_indices = []
        for index in out_indices:
            real = index + self.num_layers if index < 0 else index
            if not 0 <= real < self.num_layers:
                raise ValueError(f'out_indices has {index}, but the model has '
                                 f'{self.num_layers} blocks')
            self.out_indices.append(real)
        self._freeze_stages()
        self._register_load_state_dict_pre_hook(self._resize_tables_on_load)

    def _resize_tables_on_load(self, state_dict: dict, prefix: str, *args,
                               **kwargs) -> None:
        """Fit a checkpoint's position tables to this model's patch grid
        (e.g. a 224-px pretrained encoder into a 512-px segmentor)."""
        own = self.state_dict()
        tables = {
            key[len(prefix):]: value
            for key, value in state_dict.items()
            if key.startswith(prefix) and (
                key[len(prefix):] == 'pos_embed'
                or key.endswith('relative_position_bias.table'))
            and key[len(prefix):] in own
            and value.shape != own[key[len(prefix):]].shape
        }
        if not tables:
            return
        resized = resize_position_tables(
            dict(tables), self.patch_resolution, self.num_extra_tokens)
        for key, value in resized.items():
            state_dict[prefix + key] = value
        print_log(
            f'{type(self).__name__}: resized {sorted(tables)} from the '
            f'checkpoint to the {self.patch_resolution} patch grid',
            logger='current')

    @staticmethod
    def _arch_settings(arch: Union[str, dict]) -> Dict[str, int]:
        if isinstance(arch, str):
            name = _ARCH_ALIASES.get(arch.lower(), arch.lower())
            if name not in ARCH_SETTINGS:
                raise ValueError(
                    f'unknown ViT arch {arch!r}; use one of '
                    f'{sorted(ARCH_SETTINGS)} or a dict with embed_dims, '
                    'num_layers, num_heads and mlp_hidden_dims')
            return dict(ARCH_SETTINGS[name])
        settings = dict(arch)
        if 'mlp_hidden_dims' not in settings and 'mlp_ratio' in settings:
            settings['mlp_hidden_dims'] = int(settings['embed_dims'] *
                                              settings.pop('mlp_ratio'))
        missing = {'embed_dims', 'num_layers', 'num_heads',
                   'mlp_hidden_dims'} - set(settings)
        if missing:
            raise ValueError(f'arch dict misses {sorted(missing)}')
        return settings

    def init_weights(self) -> None:
        """Initialize, or load ``init_cfg=dict(type='Pretrained',
        checkpoint=FILE)``.

        A pretrained FILE may be in any layout of :mod:`mmcae.checkpoint`
        (MAE, BEiT, CAE, DeiT, MoCo v3, DINO, timm, mmpretrain, mmcae): it
        is converted while loading, position tables are resized to this
        model, and an encoder that would stay partly random is an error
        (:func:`mmcae.checkpoint.load_vit_pretrained`), not a log line.
        The loader is the ``mmcae.ViTPretrained`` weight initializer that
        :mod:`mmcae.checkpoint` registers: models do not import checkpoint
        code (which converts to this model's keys).
        ``init_cfg`` keys besides ``checkpoint``: ``format`` (the layout,
        default 'auto'), ``norm_to_fc_norm`` (load the file's final
        ``norm`` into ``fc_norm``, as the official CAE fine-tuning with
        mean pooling does: Atten4Vis/CAE tools/run_class_finetuning.py;
        BEiT's and MAE's start ``fc_norm`` at identity) and
        ``drop_dist_token`` (load a distilled DeiT into a model without
        [DIST], explicitly).
        Without a checkpoint: ``init_scheme``.
        """
        init_cfg = self.init_cfg
        if isinstance(init_cfg, dict) and init_cfg.get('type') == \
                'Pretrained':
            unknown = set(init_cfg) - {
                'type', 'checkpoint', 'format', 'norm_to_fc_norm',
                'drop_dist_token'
            }
            if unknown:
                raise ValueError(
                    f'mmcae.ViT init_cfg: unknown keys {sorted(unknown)}; '
                    'a Pretrained init_cfg takes checkpoint, format, '
                    'norm_to_fc_norm and drop_dist_token')
            options = {
                key: init_cfg[key]
                for key in ('norm_to_fc_norm', 'drop_dist_token')
                if init_cfg.get(key)
            }
            initialize(
                self,
                dict(
                    type='mmcae.ViTPretrained',
                    checkpoint=init_cfg['checkpoint'],
                    format=init_cfg.get('format', 'auto'),
                    **options))
            self._is_init = True
            return
        if init_cfg is not None:
            super().init_weights()
            return
        self._init_by_scheme()

    def _init_by_scheme(self) -> None:
        """Fresh weights as the official code of ``init_scheme`` does."""
        scheme = self.init_scheme
        for module in self.modules():
            if isinstance(module, nn.Linear):
                if scheme in ('trunc_normal', 'dino'):
                    nn.init.trunc_normal_(module.weight, std=.02)
                else:
                    nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        weight = self.patch_embed.proj.weight
        tokens = [
            t for t in (self.cls_token, self.dist_token, self.mask_token)
            if t is not None
        ]
        if scheme == 'cae':
            # the official trunc_normal_ wrapper cuts at +-std, not +-2
            nn.init.trunc_normal_(weight, std=.02, a=-.02, b=.02)
            nn.init.zeros_(self.patch_embed.proj.bias)
            for token in tokens:
                nn.init.trunc_normal_(token, std=.02, a=-.02, b=.02)
        else:
            if scheme == 'dino':
                self.patch_embed.proj.reset_parameters()
            else:  # the patch embedding as a linear layer (MAE)
                nn.init.xavier_uniform_(weight.view(weight.shape[0], -1))
            for token in tokens:
                if scheme == 'mae':
                    nn.init.normal_(token, std=.02)
                else:
                    nn.init.trunc_normal_(token, std=.02)
        if self.pos_embed_type == 'learned':
            nn.init.trunc_normal_(self.pos_embed, std=.02)

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen: List[nn.Module] = [self.patch_embed, self.pos_drop]
        frozen += list(self.blocks[:self.frozen_stages])
        if self.frozen_stages >= self.num_layers:
            # the whole encoder, including the norm of the pooled patch
            # tokens ('avg_featmap': MAE's linear probing keeps it at its
            # identity init)
            frozen += [m for m in (self.norm, self.fc_norm) if m is not None]
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False
        for token in (self.cls_token, self.dist_token, self.mask_token,
                      self.pos_embed):
            if token is not None:
                token.requires_grad = False

    def train(self, mode: bool = True) -> 'ViT':
        super().train(mode)
        self._freeze_stages()
        return self

    def _position_embedding(self, grid: Tuple[int, int]) -> torch.Tensor:
        return resize_pos_embed(self.pos_embed, self.patch_resolution, grid,
                                self.interpolate_mode, self.num_extra_tokens)

    def forward(self,
                inputs: torch.Tensor,
                keep_mask: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, ...]:
        """Encode images, optionally keeping only some patches.

        Args:
            inputs (Tensor): images (B, C, H, W); H and W multiples of the
                patch size.
            keep_mask (Tensor, optional): bool (B, num_patches), True for
                the patches to encode (with their own positions; [CLS] is
                always kept). Every row must keep the same number of
                patches. CAE passes the visible patches to the encoder and
                the masked ones to its alignment target.

        Returns:
            tuple[Tensor]: one output per ``out_indices`` entry, formatted
            by ``out_type`` ('featmap' needs the full grid).
        """
        x, grid, token_index = self._embed_tokens(inputs, keep_mask)
        # another grid than img_size's (e.g. whole-image segmentation
        # inference): the relative position tables are resampled to it
        rel_pos_grid = None if grid == self.patch_resolution else grid

        outs = []
        for index, block in enumerate(self.blocks):
            attn_bias = None
            if self.use_rel_pos_bias:
                attn_bias = block.attn.relative_position_bias(
                    token_index, rel_pos_grid)
            if self.with_cp and self.training and x.requires_grad:
                x = cp.checkpoint(block, x, attn_bias, use_reentrant=False)
            else:
                x = block(x, attn_bias)
            if index == self.num_layers - 1 and self.norm is not None:
                x = self.norm(x)
            if index in self.out_indices:
                outs.append(self._format_output(x, grid, keep_mask))
        return tuple(outs)

    def _embed_tokens(
        self, inputs: torch.Tensor, keep_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Tuple[int, int], Optional[torch.Tensor]]:
        """Patch embedding + positions, the kept patches, [CLS] in front.

        Returns:
            tuple: tokens (B, 1 + kept, C), the patch grid, and the token
            indices into the full sequence (for relative position bias
            with a ``keep_mask``; else None).
        """
        batch = inputs.shape[0]
        x, grid = self.patch_embed(inputs)
        if self.pos_embed is not None:
            pos_embed = self._position_embedding(grid)
            x = x + pos_embed[:, self.num_extra_tokens:]
        keep_index = None
        if keep_mask is not None:
            x, keep_index = self._keep_patches(x, keep_mask)
        extra = [
            t.expand(batch, -1, -1)
            for t in (self.cls_token, self.dist_token) if t is not None
        ]
        if extra:
            extra = torch.cat(extra, dim=1)
            if self.pos_embed is not None:
                extra = extra + pos_embed[:, :self.num_extra_tokens]
            x = torch.cat([extra, x], dim=1)
        x = self.pos_drop(x)
        token_index = None
        if keep_index is not None and self.use_rel_pos_bias:
            cls_index = keep_index.new_zeros(batch, 1)
            token_index = torch.cat([cls_index, keep_index + 1], dim=1)
        return x, grid, token_index

    @torch.no_grad()
    def cls_attention(self,
                      inputs: torch.Tensor,
                      direction: str = 'cls_to_patch') -> torch.Tensor:
        """The [CLS] token's attention to every patch, per block.

        ccMIM (Sec. 3.2, "Selecting and dividing strategy") scores patches
        by the attention of the [CLS] query over the patch keys, averaged
        over heads. One forward of the whole image without gradients;
        each block computes its [CLS] attention row separately (one query
        against the keys) while its output still goes through the fused
        attention kernel, so neither the N x N attention matrices nor the
        activations are kept.

        Args:
            inputs (Tensor): images (B, C, H, W).
            direction (str): 'cls_to_patch' (the paper's q_0 K^T: how much
                [CLS] attends to each patch; the official ccMIM code since
                its commit 7350304, ``avg_attn[:, 0, 1:]``) or
                'patch_to_cls' (how much each patch attends to [CLS],
                ``attn[:, 1:, 0]``, what that code read before 7350304; it
                needs the full attention matrix of each block, one block at
                a time).

        Returns:
            Tensor: (B, num_layers, num_patches), head-averaged softmax
            weights. 'cls_to_patch': [CLS]'s weights on the patch keys
            (its weight on itself left out, so rows sum to < 1);
            'patch_to_cls': each patch query's weight on the [CLS] key.
        """
        if self.cls_token is None:
            raise ValueError('cls_attention needs a [CLS] token '
                             '(with_cls_token=True)')
        x, grid, _ = self._embed_tokens(inputs, None)
        rel_pos_grid = None if grid == self.patch_resolution else grid
        rows = []
        for block in self.blocks:
            attn_bias = None
            if self.use_rel_pos_bias:
                attn_bias = block.attn.relative_position_bias(
                    None, rel_pos_grid)
            x, attention = block.forward_with_cls_attention(
                x, attn_bias, direction)
            rows.append(attention[:, :, self.num_extra_tokens:].mean(dim=1))
        return torch.stack(rows, dim=1)

    @staticmethod
    def _keep_patches(x: torch.Tensor, keep_mask: torch.Tensor
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
        batch, num_patches, channels = x.shape
        if keep_mask.shape != (batch, num_patches):
            raise ValueError(f'keep_mask must be (B, num_patches) = '
                             f'{(batch, num_patches)}, got '
                             f'{tuple(keep_mask.shape)}')
        counts = keep_mask.sum(dim=1)
        if not bool((counts == counts[0]).all()):
            raise ValueError('every row of keep_mask must keep the same '
                             f'number of patches, got {counts.tolist()}')
        keep_index = keep_mask.nonzero()[:, 1].reshape(batch, -1)
        kept = torch.gather(x, 1, keep_index[..., None].expand(-1, -1,
                                                               channels))
        return kept, keep_index

    def _format_output(self, x: torch.Tensor, grid: Tuple[int, int],
                       keep_mask: Optional[torch.Tensor]) -> torch.Tensor:
        if self.out_type == 'raw':
            return x
        if self.out_type == 'cls_token':
            return x[:, 0]
        patch_tokens = x[:, self.num_extra_tokens:]
        if self.out_type == 'featmap':
            if keep_mask is not None:
                raise ValueError("out_type='featmap' needs every patch; use "
                                 "'raw' with keep_mask")
            return patch_tokens.reshape(x.shape[0], *grid, -1).permute(
                0, 3, 1, 2).contiguous()
        return self.fc_norm(patch_tokens.mean(dim=1))

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """The layer id of a parameter for layer-wise lr decay.

        Ids (MAE / BEiT): tokens ([CLS], [DIST], mask), position embedding
        and patch embedding 0;
        block i -> i + 1; everything else (final norms, and any parameter
        outside this backbone, e.g. heads and necks) -> num_layers + 1.

        Args:
            param_name (str): the parameter's name in the whole model.
            prefix (str): this backbone's prefix in the model, e.g.
                'backbone.'.

        Returns:
            tuple[int, int]: (layer id, number of ids = num_layers + 2).
        """
        num_ids = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_ids - 1, num_ids
        name = param_name[len(prefix):]
        if name in ('cls_token', 'dist_token', 'mask_token', 'pos_embed') or \
                name.startswith('patch_embed'):
            return 0, num_ids
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, num_ids
        return num_ids - 1, num_ids
