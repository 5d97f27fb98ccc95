void v_reset(void);
