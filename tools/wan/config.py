"""Configurations of the Wan2.1 text-to-video family, as the official release defines them.

`FULL_1_3B` is Wan2.1-T2V-1.3B (wan/configs/wan_t2v_1_3B.py and the builders in wan/modules of
Wan-Video/Wan2.1). `REDUCED` keeps every structural rule of it (latent geometry, patch, rope split,
relative-position buckets, text length, the VAE's stages and temporal upsampling) and shrinks only
widths, depths and the vocabulary, so a random-weight checkpoint of it is a few megabytes and the
reference code runs in seconds on a CPU.
"""

# File names of the official release folder (Wan-AI/Wan2.1-T2V-1.3B).
RELEASE = {
    'dit_config': 'config.json',
    'dit_weights': 'diffusion_pytorch_model.safetensors',
    't5_weights': 'models_t5_umt5-xxl-enc-bf16.pth',
    'vae_weights': 'Wan2.1_VAE.pth',
    'tokenizer_dir': 'google/umt5-xxl',
}

# Inference defaults of the official pipeline (wan/text2video.py, wan/configs/shared_config.py).
SAMPLER = {
    'solver': 'unipc',
    'steps': 50,
    'shift': 5.0,
    'guidance': 5.0,
    'num_train_timesteps': 1000,
    'fps': 16,
}

LATENT = {'channels': 16, 'temporal_factor': 4, 'spatial_factor': 8, 'patch': (1, 2, 2)}

FULL_1_3B = {
    'name': 'wan2.1-t2v-1.3b',
    'text_len': 512,
    'dit': dict(model_type='t2v', patch_size=(1, 2, 2), text_len=512, in_dim=16, dim=1536, ffn_dim=8960,
                freq_dim=256, text_dim=4096, out_dim=16, num_heads=12, num_layers=30, window_size=(-1, -1),
                qk_norm=True, cross_attn_norm=True, eps=1e-6),
    't5': dict(vocab_size=256384, dim=4096, dim_attn=4096, dim_ffn=10240, num_heads=64, num_layers=24,
               num_buckets=32, shared_pos=False),
    'vae': dict(dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                temperal_downsample=[False, True, True]),
}

REDUCED = {
    'name': 'wan2.1-t2v-reduced',
    'text_len': 512,
    # head_dim 16: the rope split of the official model (d - 4(d//6), 2(d//6), 2(d//6)) is 8, 4, 4.
    'dit': dict(FULL_1_3B['dit'], dim=64, ffn_dim=128, text_dim=32, num_heads=4, num_layers=2),
    't5': dict(vocab_size=384, dim=32, dim_attn=32, dim_ffn=64, num_heads=4, num_layers=2,
               num_buckets=32, shared_pos=False),
    'vae': dict(FULL_1_3B['vae'], dim=8),
}

CONFIGS = {'reduced': REDUCED, '1.3b': FULL_1_3B}
